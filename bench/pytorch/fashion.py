"""The Fashion-MNIST models of the lecture in PyTorch: LeNet-5, the 32-64-1024 convnet and the
row-sequence LSTM, as the redes example configs build them (for bench/run).

    /usr/bin/python3 bench/pytorch/fashion.py --model lenet5|convnet|lstm-rows [--epochs 1]
        [--seed 1] [--threads 2] [--quick] [--train-limit N] [--test-limit N] [--bench]

Data: the IDX files of Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist),
held in memory, pixels scaled to [0, 1] (pixel / 255); the 60000 training images, tested on
the 10000 test images. Training: softmax cross-entropy, Adam 1e-3, PyTorch's default
initialisation (redes's "torch" scheme), batch 64 (the CNNs) or 128 (the LSTM), shuffled each
epoch by the seed.
  lenet5     conv 6@5x5 pad 2, ReLU, maxpool 2, conv 16@5x5, ReLU, maxpool 2,
             dense 120, ReLU, dense 84, ReLU, dense 10
  convnet    conv 32@5x5 same, ReLU, maxpool 2, conv 64@5x5 same, ReLU, maxpool 2,
             dense 1024, ReLU, dropout 0.4, dense 10
  lstm-rows  each image as 28 steps of 28 pixels, LSTM(128), the last step's output -> dense 10
--quick trains one epoch on the first 512 training images and tests on the first 256.
Prints one JSON line per epoch and the test figures; with --bench one JSON line that also holds
the inference figures (bench/pytorch/common.py).
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import time

import numpy as np
import torch
from torch import nn

import common

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path, limit=0):
    """An IDX file (gzip or not) as a numpy array; limit > 0 keeps the first `limit` items."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        zero, dtype, ndim = struct.unpack(">HBB", f.read(4))
        if zero != 0 or dtype != 0x08:
            raise ValueError(f"{path}: not an IDX file of unsigned bytes")
        dims = list(struct.unpack(">" + "I" * ndim, f.read(4 * ndim)))
        if limit:
            dims[0] = min(dims[0], limit)
        count = int(np.prod(dims))
        return np.frombuffer(f.read(count), dtype=np.uint8).reshape(dims)


def load(data_dir, split, limit):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"), limit)
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"), limit)
    x = torch.tensor(x, dtype=torch.float32).div_(255.0).unsqueeze(1)  # (N, 1, 28, 28)
    return x, torch.tensor(y, dtype=torch.int64)


class RowLSTM(nn.Module):
    """An image (N, 1, 28, 28) read as 28 time steps of 28 pixels; the last step classifies."""

    def __init__(self, hidden=128, classes=10):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, batch_first=True)
        self.out = nn.Linear(hidden, classes)

    def forward(self, x):
        seq = x.reshape(x.shape[0], -1, 28)  # (N, T=28, F=28)
        h, _ = self.lstm(seq)
        return self.out(h[:, -1])


def build(model):
    if model == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if model == "convnet":
        return nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(3136, 1024), nn.ReLU(), nn.Dropout(0.4), nn.Linear(1024, 10))
    if model == "lstm-rows":
        return RowLSTM()
    raise ValueError(f"unknown model {model}")


def evaluate(net, x, y, batch=1000):
    net.eval()
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    loss, correct = 0.0, 0
    with torch.inference_mode():
        for i in range(0, len(x), batch):
            out = net(x[i : i + batch])
            loss += loss_fn(out, y[i : i + batch]).item()
            correct += (out.argmax(1) == y[i : i + batch]).sum().item()
    return {"accuracy": correct / len(x), "loss": loss / len(x)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["lenet5", "convnet", "lstm-rows"], required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch-size", type=int, help="default: 64 (CNNs), 128 (LSTM)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--train-limit", type=int, default=0, help="first N training images (0: all)")
    p.add_argument("--test-limit", type=int, default=0, help="first N test images (0: all)")
    p.add_argument("--quick", action="store_true", help="1 epoch, 512 training and 256 test images")
    p.add_argument("--data", default=DATA, help="folder of the IDX files")
    common.add_bench_arguments(p)
    a = p.parse_args()
    if a.quick:
        a.epochs, a.train_limit, a.test_limit = 1, a.train_limit or 512, a.test_limit or 256
    batch = a.batch_size or (128 if a.model == "lstm-rows" else 64)

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    xt, yt = load(a.data, "train", a.train_limit)
    xe, ye = load(a.data, "test", a.test_limit)
    net = build(a.model)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        train_loss = common.train_epoch(net, opt, loss_fn, xt, yt, batch, track_loss=True)
        times.append(time.perf_counter() - t0)
        if not a.bench:
            print(json.dumps({"epoch": epoch, "train_loss": train_loss, "seconds": times[-1]}))
    result = {"model": a.model, "seed": a.seed, "epochs": a.epochs, "batch_size": batch,
              "train_images": len(xt), "test_images": len(xe),
              "seconds_per_epoch": statistics.median(times), "epoch_seconds": times,
              "test": evaluate(net, xe, ye)}
    if a.bench:
        result.update(common.inference_figures(net, tuple(xt.shape[1:]), a.batch_infer, a.infer_seconds))
    common.emit(result)


if __name__ == "__main__":
    main()
