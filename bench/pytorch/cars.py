"""The cars models of examples/cars.toml and examples/cars-dropout.toml in PyTorch.

Same data pipeline as redes (rows with a missing value dropped, eco-friendly = Miles_per_Gallon
above its median, stratified 70/30 split, numeric features standardised with training
statistics, Origin one-hot), and the network, optimizer, batch size and epochs the config says
(read from its [[layers]], [optimizer] and [train]: linear, relu, tanh, sigmoid, elu, gelu and
dropout layers; adam, adamw or sgd), PyTorch's default initialisation.

    /usr/bin/python3 bench/pytorch/cars.py [--config examples/cars-dropout.toml]
        [--seeds 1 2 3 4 5] [--threads 2] [--splits runs/cars-{seed}/splits.json] [--epochs N]
        [--bench]
With --splits, each seed trains and tests on the rows redes used for that seed (the run
folder's splits.json: its training rows, so a config's validation split is left out as in
redes); otherwise the split is drawn with numpy. Prints one JSON line per seed, then the mean
and standard deviation of the test accuracy.

With --bench (what bench/run uses), trains the first seed only and prints one JSON line that
also holds the inference figures (bench/pytorch/common.py): throughput at batch 256 and
single-sample latency.
"""
import argparse
import json
import os
import statistics
import time
import tomllib

import numpy as np
import torch

import common

HERE = os.path.dirname(os.path.abspath(__file__))
CARS = os.path.join(HERE, "..", "..", "data", "vega-datasets", "data", "cars.json")
CONFIG = os.path.join(HERE, "..", "..", "examples", "cars.toml")
NUMERIC = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Year"]


def load():
    rows = json.load(open(CARS))
    keep_idx = [i for i, r in enumerate(rows)
                if all(r.get(k) is not None for k in NUMERIC + ["Origin", "Miles_per_Gallon"])]
    keep = [rows[i] for i in keep_idx]
    origins = sorted({r["Origin"] for r in keep})
    x = []
    for r in keep:
        v = [float(r[k]) if k != "Year" else float(r[k][:4]) for k in NUMERIC]
        v += [1.0 if r["Origin"] == o else 0.0 for o in origins]
        x.append(v)
    mpg = np.array([r["Miles_per_Gallon"] for r in keep], dtype=np.float64)
    y = (mpg > np.median(mpg)).astype(np.float32)
    return np.array(x, dtype=np.float32), y, keep_idx


def split(y, seed, test_fraction=0.3):
    rng = np.random.default_rng(seed)
    test = []
    for c in (0, 1):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test += list(idx[: round(test_fraction * len(idx))])
    test = np.array(sorted(test))
    train = np.setdiff1d(np.arange(len(y)), test)
    return train, test


ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
               "elu": torch.nn.ELU, "gelu": torch.nn.GELU}


def network(config, features):
    """The config's layers as a torch.nn.Sequential on `features` inputs."""
    layers, width = [], features
    for layer in config["layers"]:
        kind = layer["type"]
        if kind == "linear":
            layers.append(torch.nn.Linear(width, layer["units"]))
            width = layer["units"]
        elif kind == "dropout":
            layers.append(torch.nn.Dropout(layer["rate"]))
        elif kind in ACTIVATIONS:
            layers.append(ACTIVATIONS[kind]())
        else:
            raise SystemExit(f"cars.py: layer type {kind!r} is not one of linear, dropout, "
                             + ", ".join(ACTIVATIONS))
    return torch.nn.Sequential(*layers)


def optimizer(config, params):
    o = config.get("optimizer", {})
    kind, lr, wd = o.get("type", "adam"), o.get("lr", 1e-3), o.get("weight_decay", 0.0)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=o.get("momentum", 0.0), weight_decay=wd)
    raise SystemExit(f"cars.py: optimizer {kind!r} is not one of adam, adamw, sgd")


def run(seed, config, epochs, threads, splits=None):
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    x, y, file_rows = load()
    if splits:
        s = json.load(open(splits.format(seed=seed)))
        pos = {r: i for i, r in enumerate(file_rows)}
        tr, te = np.array([pos[r] for r in s["train"]]), np.array([pos[r] for r in s["test"]])
    else:
        tr, te = split(y, seed)
    mean, std = x[tr, :6].mean(0), x[tr, :6].std(0)
    x = x.copy()
    x[:, :6] = (x[:, :6] - mean) / std
    xt, yt = torch.tensor(x[tr]), torch.tensor(y[tr]).unsqueeze(1)
    xe, ye = torch.tensor(x[te]), torch.tensor(y[te]).unsqueeze(1)
    net = network(config, x.shape[1])
    opt = optimizer(config, net.parameters())
    batch = config.get("train", {}).get("batch_size", 32)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        common.train_epoch(net, opt, loss_fn, xt, yt, batch)
        times.append(time.perf_counter() - t0)
    net.eval()
    with torch.no_grad():
        out = net(xe)
        acc = ((out >= 0).float() == ye).float().mean().item()
        test_loss = loss_fn(out, ye).item()
    return {"seed": seed, "test_accuracy": acc, "test_loss": test_loss,
            "seconds_per_epoch": statistics.median(times)}, net, x.shape[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--config", default=CONFIG, help="a cars config of redes (examples/cars.toml)")
    p.add_argument("--seeds", "--seed", dest="seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--epochs", type=int, help="default: the config's")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--splits", help="splits.json of redes runs, {seed} standing for the seed")
    common.add_bench_arguments(p)
    a = p.parse_args()
    with open(a.config, "rb") as f:
        config = tomllib.load(f)
    epochs = a.epochs or config.get("train", {}).get("epochs", 10)
    if a.bench:
        r, net, features = run(a.seeds[0], config, epochs, a.threads, a.splits)
        r["test"] = {"accuracy": r.pop("test_accuracy"), "loss": r.pop("test_loss")}
        r["epochs"] = epochs
        r.update(common.inference_figures(net, (features,), a.batch_infer, a.infer_seconds))
        common.emit(r)
        return
    accs = []
    for s in a.seeds:
        r, _, _ = run(s, config, epochs, a.threads, a.splits)
        print(json.dumps(r))
        accs.append(r["test_accuracy"])
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    print(f"pytorch {os.path.basename(a.config)}: test accuracy {statistics.mean(accs):.3f}"
          f" ± {sd:.3f} over {len(accs)} seeds")


if __name__ == "__main__":
    main()
