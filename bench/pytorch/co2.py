"""The CO2 forecaster of examples/lstm-co2.toml in PyTorch (for bench/run).

    /usr/bin/python3 bench/pytorch/co2.py [--epochs 60] [--seed 1] [--threads 2] [--bench]

Same data pipeline as redes (src/data/series.cpp): the monthly CO2 column of vega-datasets
data/co2-concentration.csv in file order, split by time (the last 20 % of the rows test, the
10 % before them validation, rounded half away from zero), windows of 24 months -> the next
month, "window_norm" (every value of a window minus the window's last value), scaled by the
root mean square of those differences over the training windows (inputs and targets). The
network: LSTM(32) over the 24 steps, the last step's hidden state -> Linear 1; MSE, Adam 3e-3,
batch 32, shuffled each epoch, the validation loss computed after each epoch (as the redes
trainer does, inside the epoch's time). PyTorch's default initialisation. The test figure is the
one-step RMSE in ppm (the forecast decoded back: last value + output * scale).
Prints per-epoch JSON lines and the test figures; with --bench one JSON line that also holds the
inference figures (bench/pytorch/common.py).
"""
import argparse
import csv
import json
import math
import os
import statistics
import time

import torch
from torch import nn

import common

HERE = os.path.dirname(os.path.abspath(__file__))
CO2 = os.path.join(HERE, "..", "..", "data", "vega-datasets", "data", "co2-concentration.csv")
LOOKBACK, HORIZON = 24, 1


def round_half_away(x):
    return int(math.floor(x + 0.5))


def windows(v, scale, begin, end):
    """Inputs (N, L, 1), targets (N, 1) and the t of each window whose target lies in [begin, end)."""
    ts = list(range(max(begin, LOOKBACK), end - HORIZON + 1))
    x = [[[(v[t - LOOKBACK + j] - v[t - 1]) / scale] for j in range(LOOKBACK)] for t in ts]
    y = [[(v[t + k] - v[t - 1]) / scale for k in range(HORIZON)] for t in ts]
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32), ts


class Forecaster(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.out = nn.Linear(hidden, HORIZON)

    def forward(self, x):  # x is (N, T, 1)
        h, _ = self.lstm(x)
        return self.out(h[:, -1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--data", default=CO2)
    common.add_bench_arguments(p)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)

    with open(a.data, newline="") as f:
        v = [float(r["CO2"]) for r in csv.DictReader(f)]
    n = len(v)
    val_end = n - round_half_away(n * 0.2)
    train_end = val_end - round_half_away(n * 0.1)
    diffs = [v[i] - v[t - 1] for t in range(LOOKBACK, train_end - HORIZON + 1)
             for i in range(t - LOOKBACK, t + HORIZON)]
    scale = math.sqrt(sum(d * d for d in diffs) / len(diffs))
    xt, yt, _ = windows(v, scale, 0, train_end)
    xv, yv, _ = windows(v, scale, train_end, val_end)
    xe, ye, te = windows(v, scale, val_end, n)

    net = Forecaster()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    loss_fn = nn.MSELoss()
    times = []
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        common.train_epoch(net, opt, loss_fn, xt, yt, 32)
        net.eval()
        with torch.inference_mode():
            val_loss = loss_fn(net(xv), yv).item()
        times.append(time.perf_counter() - t0)
        if not a.bench:
            print(json.dumps({"epoch": epoch, "val_loss": val_loss, "seconds": times[-1]}))

    net.eval()
    with torch.inference_mode():
        z = net(xe)
        scaled_loss = loss_fn(z, ye).item()
    errors = [v[t - 1] + float(z[i, 0]) * scale - v[t] for i, t in enumerate(te)]
    rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
    mae = sum(abs(e) for e in errors) / len(errors)
    result = {"model": "lstm-co2", "seed": a.seed, "epochs": a.epochs,
              "windows": {"train": len(xt), "validation": len(xv), "test": len(xe)},
              "seconds_per_epoch": statistics.median(times),
              "test": {"rmse": rmse, "mae": mae, "loss": scaled_loss}}
    if a.bench:
        result.update(common.inference_figures(net, (LOOKBACK, 1), a.batch_infer, a.infer_seconds))
    common.emit(result)


if __name__ == "__main__":
    main()
