#!/usr/bin/env python3
"""How the cars configs' hyperparameters were chosen: by validation accuracy, never by test.

    tools/tune_cars.py [--redes build/redes] [--seeds 1,2,3,4,5] [--dropout 0.2]
                       [--widths 16,32,64] [--lrs 0.001,0.003,0.01] [--weight-decays 0,0.01,0.1]

Trains examples/cars.toml's network (two hidden layers, binary cross-entropy; with --dropout, a
dropout layer after each hidden one as in cars-dropout.toml) for every combination of width,
learning rate and weight decay below, on seeds 1-5 (the splits the example configs use: the
test rows are the same 30 % for every seed's run whatever the validation split), with early
stopping on the validation loss and the best weights restored. Prints one line per
combination: mean validation accuracy and loss, and the mean test accuracy beside them, sorted
by validation accuracy (then loss). The configs take the best line's values; the test column is
read only to report it. Needs only the standard library and a built redes.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def config(width, lr, wd, dropout, patience):
    """The example config's text with these hyperparameters."""
    base = (ROOT / "examples/cars.toml").read_text()
    head = base[: base.index("[[layers]]")].replace(
        'path = "../data/', 'path = "' + str(ROOT / "data") + "/"
    )
    drop = f'[[layers]]\ntype = "dropout"\nrate = {dropout}\n\n' if dropout else ""
    return (
        head
        + f'[[layers]]\ntype = "linear"\nname = "hidden1"\nunits = {width}\n\n'
        + '[[layers]]\ntype = "relu"\n\n'
        + drop
        + f'[[layers]]\ntype = "linear"\nname = "hidden2"\nunits = {width}\n\n'
        + '[[layers]]\ntype = "relu"\n\n'
        + drop
        + '[[layers]]\ntype = "linear"\nname = "output"\nunits = 1\n\n'
        + '[loss]\ntype = "bce_logits"\n\n'
        + f'[optimizer]\ntype = "adamw"\nlr = {lr}\nweight_decay = {wd}\n\n'
        + "[train]\nepochs = 500\nbatch_size = 32\ncheckpoint_every_seconds = 0\n"
        + f'[train.early_stopping]\nmonitor = "val_loss"\npatience = {patience}\n'
        + "restore_best = true\n"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--redes", default=str(ROOT / "build/redes"))
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--patience", type=int, default=30)
    ap.add_argument("--widths", default="16,32,64")
    ap.add_argument("--lrs", default="0.001,0.003,0.01")
    ap.add_argument("--weight-decays", default="0,0.0001,0.001,0.01")
    args = ap.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    lrs = [float(v) for v in args.lrs.split(",")]
    weight_decays = [float(v) for v in args.weight_decays.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for width in widths:
            for lr in lrs:
                for wd in weight_decays:
                    cfg = Path(tmp) / "cars.toml"
                    cfg.write_text(config(width, lr, wd, args.dropout, args.patience))
                    val, val_loss, test = [], [], []
                    for seed in seeds:
                        out = Path(tmp) / f"run-{width}-{lr}-{wd}-{seed}"
                        subprocess.run(
                            [args.redes, "train", str(cfg), "--out", str(out), "--seed",
                             str(seed), "--threads", "1", "--quiet"],
                            check=True, stdout=subprocess.DEVNULL,
                        )
                        s = json.loads((out / "summary.json").read_text())
                        val.append(s["validation"]["accuracy"])
                        val_loss.append(s["validation"]["loss"])
                        test.append(s["test"]["accuracy"])
                    rows.append((statistics.mean(val), -statistics.mean(val_loss), width, lr,
                                 wd, statistics.mean(test), statistics.stdev(test)))
                    print(f"width {width:3} lr {lr:<6} weight_decay {wd:<7}"
                          f" val acc {rows[-1][0]:.4f} loss {-rows[-1][1]:.4f}"
                          f"  test acc {rows[-1][5]:.4f} ± {rows[-1][6]:.4f}",
                          file=sys.stderr, flush=True)
    print("sorted by validation accuracy, then loss:")
    for v, nl, width, lr, wd, t, ts in sorted(rows, reverse=True):
        print(f"width {width:3} lr {lr:<6} weight_decay {wd:<7} val acc {v:.4f} loss {-nl:.4f}"
              f"  test acc {t:.4f} ± {ts:.4f}")


if __name__ == "__main__":
    main()
