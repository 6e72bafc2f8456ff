#!/usr/bin/env python3
"""How the cars configs' hyperparameters were chosen: by validation, never by test.

    tools/tune_cars.py [--redes build/redes] [--seeds 1,2,3,4,5] [--dropout 0.2]
                       [--activations relu,tanh] [--widths 16,32,64]
                       [--optimizers adamw,adam] [--lrs 0.001,0.003,0.01]
                       [--weight-decays 0,0.1,0.3] [--batch-sizes 32,274]
                       [--max-epochs 300] [--repeats 5] [--jobs 2] [--refit 3]
                       [--select loss] [--workdir DIR] [--save lines.jsonl]

The split of examples/cars.toml for seed S puts the same 30 % of the cars in the test split
whatever the validation fraction, leaving 274 training cars. This tool:

1. Selects, without the test cars. For each seed S, the 274 training cars are written to a
   file of their own, and --repeats random validation splits of a fifth of them are drawn
   (seeds 1000 S + r), each the lecture's network (two hidden layers, binary cross-entropy;
   with --dropout, a dropout layer after each hidden one as in cars-dropout.toml) trained
   --max-epochs epochs on the rest: repeated hold-out within the training split. For every
   combination of hidden activation (redes layer types: relu, tanh, sigmoid, elu, gelu, ...),
   width (both hidden layers), optimizer, learning rate, weight decay and batch size, each
   epoch's validation
   accuracy and loss (metrics.csv) are averaged over all those runs; the number of epochs is
   the one with the lowest mean loss (ties: higher accuracy), or with --select accuracy the
   best mean accuracy (ties: lower loss); without a schedule, a run's epoch E is the E-epoch
   run. The combinations are ranked by that figure. The loss is the default, as it is for
   Keras's EarlyStopping and redes' [train.early_stopping]: with 55 validation cars a run's
   accuracy moves in steps of 1.8 %, while the loss scores every car's probability.
2. Refits. The --refit best lines are trained on all 274 training cars (validation_fraction =
   0) for their number of epochs, as scikit-learn's search does with refit=True, on seeds 1-5.
   It prints their mean test accuracy: read only to report it.

The optimizers: "adamw" decays the weights apart from the gradient (decoupled, AdamW);
"adam" adds weight_decay * w to the gradient (an L2 penalty, as torch.optim.Adam). A batch
size at least the number of training cars is full-batch gradient descent (one step an epoch).
Every run's --threads is 1; --jobs runs that many at a time. Runs write metrics.csv and a
checkpoint every epoch, so a run's time grows faster than its epochs: keep --max-epochs at a
few hundred.

--refit 0 only ranks the lines and never reads a test figure; --save writes the ranked lines
(with their validation figures) as JSON lines, so that searches over different grids with the
same --seeds and --repeats (the same validation splits) can be merged and ranked together.
--workdir keeps the runs in that folder (default: a temporary one, removed at the end).

cars.toml takes the first line of its search (no dropout), cars-dropout.toml the first of the
searches with --dropout 0.1, 0.2 and 0.3 merged (README). Each run writes a checkpoint every
epoch: with TMPDIR (or --workdir) on a tmpfs such as /dev/shm a search runs about 3 times
faster. Needs only the standard library and a built redes.
"""
import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


CARS = ROOT / "data/vega-datasets/data/cars.json"


def config(activation, width, optimizer, lr, wd, dropout, epochs, batch_size, validation,
           inner=None):
    """examples/cars.toml's data with this network, optimizer and training; with inner (a file
    of training cars, and the whole data's median of the target), that file split into
    training and validation only."""
    base = (ROOT / "examples/cars.toml").read_text()
    head = base[: base.index("[[layers]]")].replace('path = "../data/', f'path = "{ROOT}/data/')
    head = re.sub(r"validation_fraction = [0-9.]+", f"validation_fraction = {validation}", head)
    if inner:
        path, median = inner
        head = head.replace(str(CARS), str(path))
        head = re.sub(r"test_fraction = [0-9.]+", "test_fraction = 0", head)
        head = head.replace('target_rule = "above_median"', f"target_rule = {{ above = {median} }}")
    drop = f'[[layers]]\ntype = "dropout"\nrate = {dropout}\n\n' if dropout else ""
    hidden = "".join(
        f'[[layers]]\ntype = "linear"\nname = "hidden{i}"\nunits = {width}\n\n'
        + f'[[layers]]\ntype = "{activation}"\n\n' + drop
        for i in (1, 2)
    )
    return (
        head + hidden
        + '[[layers]]\ntype = "linear"\nname = "output"\nunits = 1\n\n'
        + '[loss]\ntype = "bce_logits"\n\n'
        + f'[optimizer]\ntype = "{optimizer}"\nlr = {lr}\nweight_decay = {wd}\n\n'
        + f"[train]\nepochs = {epochs}\nbatch_size = {batch_size}\n"
        + "checkpoint_every_seconds = 0\nbaselines = false\n"
    )


def train(redes, cfg, out, seed):
    subprocess.run(
        [redes, "train", str(cfg), "--out", str(out), "--seed", str(seed), "--threads", "1",
         "--quiet", "--overwrite"],
        check=True, stdout=subprocess.DEVNULL,
    )
    return out


def curves(out):
    """Validation accuracy and loss of every epoch."""
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    return [float(r["val_accuracy"]) for r in rows], [float(r["val_loss"]) for r in rows]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--redes", default=str(ROOT / "build/redes"))
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--activations", default="relu", help="hidden activations (layer types)")
    ap.add_argument("--widths", default="16,32,64")
    ap.add_argument("--optimizers", default="adamw", help="adamw (decoupled decay), adam (L2)")
    ap.add_argument("--lrs", default="0.001,0.003,0.01")
    ap.add_argument("--weight-decays", default="0,0.1,0.3")
    ap.add_argument("--batch-sizes", default="32")
    ap.add_argument("--max-epochs", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5, help="validation splits per seed")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--refit", type=int, default=3, help="how many of the best lines to refit")
    ap.add_argument("--select", choices=("loss", "accuracy"), default="loss")
    ap.add_argument("--workdir", help="keep the runs here (default: a temporary folder)")
    ap.add_argument("--save", help="write the ranked lines here as JSON lines")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    combos = [(act, int(w), opt, float(lr), float(wd), int(b))
              for act in args.activations.split(",") for w in args.widths.split(",")
              for opt in args.optimizers.split(",") for lr in args.lrs.split(",")
              for wd in args.weight_decays.split(",") for b in args.batch_sizes.split(",")]
    describe = lambda act, width, opt, lr, wd, b: (
        f"{act:7} width {width:3} {opt:5} lr {lr:<6} weight_decay {wd:<5} batch {b:3}")
    rows = []
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(args.jobs) as pool:
        tmp = Path(args.workdir) if args.workdir else Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        # Each seed's training cars in a file of their own (the rows of its splits.json).
        cars = json.loads(CARS.read_text())
        mpg = sorted(r["Miles_per_Gallon"] for r in cars if r["Miles_per_Gallon"] is not None)
        median = (mpg[(len(mpg) - 1) // 2] + mpg[len(mpg) // 2]) / 2
        first = tmp / "splits.toml"
        first.write_text(config("relu", 16, "adam", 0.001, 0, 0, 1, 32, 0))
        inner = []  # (file, seed of a validation split)
        for s in seeds:
            out = tmp / f"split-{s}"
            if not (out / "splits.json").exists():
                train(args.redes, first, out, s)
            rows_of = json.loads((out / "splits.json").read_text())["train"]
            path = tmp / f"train-{s}.json"
            path.write_text(json.dumps([cars[r] for r in rows_of]))
            inner += [(path, 1000 * s + r) for r in range(1, args.repeats + 1)]
        for i, combo in enumerate(combos):
            act, width, opt, lr, wd, b = combo
            name = f"{act}-w{width}-{opt}-lr{lr}-wd{wd}-b{b}-d{args.dropout}-e{args.max_epochs}"
            cfgs = {}
            for path, _ in inner:
                cfgs[path] = tmp / f"select-{name}-{path.stem}.toml"
                cfgs[path].write_text(config(act, width, opt, lr, wd, args.dropout,
                                             args.max_epochs, b, 0.2, (path, median)))

            def run(job):
                out = tmp / f"s-{name}-{job[0].stem}-{job[1]}"
                if not (out / "summary.json").exists():  # a finished run is reused
                    train(args.redes, cfgs[job[0]], out, job[1])
                return curves(out)

            acc, loss = zip(*pool.map(run, inner))
            mean_acc = [statistics.mean(a[e] for a in acc) for e in range(args.max_epochs)]
            mean_loss = [statistics.mean(l[e] for l in loss) for e in range(args.max_epochs)]
            if args.select == "loss":
                key = lambda e: (-mean_loss[e], mean_acc[e])
            else:
                key = lambda e: (mean_acc[e], -mean_loss[e])
            best = max(range(args.max_epochs), key=key)
            rows.append((*key(best), mean_acc[best], mean_loss[best], combo, best + 1))
            print(f"{describe(*combo)} best epoch {best + 1:4}"
                  f"  val acc {mean_acc[best]:.4f} loss {mean_loss[best]:.4f}",
                  file=sys.stderr, flush=True)
        rows.sort(reverse=True)
        if args.save:
            with open(args.save, "w") as f:
                for _, _, acc, loss, combo, epochs in rows:
                    f.write(json.dumps(dict(zip(
                        ("activation", "width", "optimizer", "lr", "weight_decay",
                         "batch_size"), combo), epochs=epochs, dropout=args.dropout,
                        val_accuracy=acc, val_loss=loss, select=args.select,
                        splits=len(inner), seeds=args.seeds)) + "\n")
        print(f"sorted by mean validation {args.select} over {len(inner)} validation splits"
              f" of the training cars of seeds {args.seeds}:")
        for k, (_, _, acc, loss, combo, epochs) in enumerate(rows):
            line = f"{describe(*combo)} epochs {epochs:4}  val acc {acc:.4f} loss {loss:.4f}"
            if k < args.refit:
                act, width, opt, lr, wd, b = combo
                cfg = tmp / f"refit-{k}.toml"
                cfg.write_text(config(act, width, opt, lr, wd, args.dropout, epochs, b, 0))
                tests = list(pool.map(
                    lambda s: json.loads((train(args.redes, cfg, tmp / f"r{k}-{s}", s)
                                          / "summary.json").read_text())["test"]["accuracy"],
                    seeds))
                line += (f"  refit on all 274: test acc {statistics.mean(tests):.4f}"
                         f" ± {statistics.stdev(tests):.4f}"
                         f" ({', '.join(f'{t:.4f}' for t in tests)})")
            print(line, flush=True)


if __name__ == "__main__":
    main()
