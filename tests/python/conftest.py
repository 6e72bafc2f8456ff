"""Shared fixtures of the redes Python tests: small data files written into a temporary folder and
tiny models trained on them once per session (a few seconds in all).

Run with the module and the CLI of a build:
    PYTHONPATH=build/python REDES_CLI=build/redes /usr/bin/python3 -m pytest -q tests/python
"""

import os

# libgomp reads its wait policy when it is loaded (by numpy or redes, imported below): threads
# that spin while they wait take the cores from the ones working on a busy 2-core machine.
# The CLI makes the same choice for itself (redes/threads.hpp).
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import math
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

import redes

# ---------------------------------------------------------------------------------------------
# Data


def write_table(path, rows, missing_row=None):
    """x1, x2, color and three targets: y (binary: x1 + x2 > 0), label (low/mid/high) and z (a
    value). missing_row: a row whose x1 is empty."""
    lines = ["x1,x2,color,y,label,z"]
    for i in range(rows):
        a = ((i * 37) % 101) / 50.0 - 1
        b = ((i * 59) % 103) / 51.0 - 1
        color = "red" if i % 3 else "blue"
        s = a + b
        label = "low" if s < -0.4 else ("mid" if s < 0.4 else "high")
        z = 2 * a - b + (0.5 if color == "red" else -0.5) + 0.05 * math.sin(i)
        x1 = "" if i == missing_row else f"{a:.6f}"
        lines.append(f"{x1},{b:.6f},{color},{int(s > 0)},{label},{z:.6f}")
    Path(path).write_text("\n".join(lines) + "\n")


TABLE_LAYERS = """
[[layers]]
type = "linear"
units = 8

[[layers]]
type = "relu"

[[layers]]
type = "linear"
units = {units}
"""


def write_table_config(path, data, task, target, units, loss, extra=""):
    Path(path).write_text(
        f'task = "{task}"\nseed = 3\n[data]\npath = "{data}"\n'
        'features = ["x1", "x2", "color"]\ncategorical = ["color"]\n'
        f'target = "{target}"\n{extra}' + TABLE_LAYERS.format(units=units) +
        f'\n[loss]\ntype = "{loss}"\n\n[optimizer]\ntype = "adam"\nlr = 0.02\n\n'
        "[train]\nepochs = 20\nbatch_size = 16\n")


def image_pixels(n, seed, classes=10, size=12):
    """n images (n, size, size) uint8 whose brightness pattern depends on the label, and labels."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    yy, xx = np.mgrid[0:size, 0:size]
    images = np.empty((n, size, size), np.uint8)
    for i, c in enumerate(labels):
        base = 20 * c + 40 * np.sin((xx + c) / 3.0) + 30 * np.cos((yy * (c + 1)) / 5.0)
        images[i] = np.clip(base + 60 + rng.normal(0, 12, (size, size)), 0, 255).astype(np.uint8)
    return images, labels.astype(np.uint8)


def write_idx(images_path, labels_path, images, labels):
    """IDX files as MNIST's: big-endian magic 0x00000803 (N, H, W) images, 0x00000801 labels."""
    n, h, w = images.shape
    Path(images_path).write_bytes(struct.pack(">IIII", 0x803, n, h, w) + images.tobytes())
    Path(labels_path).write_bytes(struct.pack(">II", 0x801, n) + labels.tobytes())


IMAGE_CONFIG = """task = "multiclass"
seed = 1

[data]
kind = "images"
format = "idx"
train_images = "train-images.idx"
train_labels = "train-labels.idx"
test_images = "test-images.idx"
test_labels = "test-labels.idx"
mean = [0.35]
std = [0.25]

[[layers]]
type = "conv2d"
filters = 4
kernel = 3
padding = 1

[[layers]]
type = "relu"

[[layers]]
type = "max_pool2d"
kernel = 2

[[layers]]
type = "flatten"

[[layers]]
type = "linear"
units = 10

[loss]
type = "softmax_cross_entropy"

[optimizer]
type = "adam"
lr = 0.01

[train]
epochs = 3
batch_size = 16
"""


def write_series(path, rows):
    """Monthly rows from 2000-01: a trend, a season of 12 and a wobble (as the CLI tests)."""
    lines = ["date,value"]
    for t in range(rows):
        v = 100 + 0.2 * t + 3 * math.sin(2 * math.pi * t / 12) + 0.3 * math.sin(1.7 * t)
        lines.append(f"{2000 + t // 12:04d}-{t % 12 + 1:02d}-01,{v:.6f}")
    Path(path).write_text("\n".join(lines) + "\n")


SERIES_CONFIG = """task = "forecast"
seed = 2
[data]
kind = "series"
path = "series.csv"
value = "value"
time = "date"
lookback = 12
transform = "window_norm"
validation_fraction = 0.1
season = 12
steps = 6

[[layers]]
type = "lstm"
units = 8

[[layers]]
type = "linear"
units = 1

[optimizer]
type = "adam"
lr = 0.01

[train]
epochs = 2
batch_size = 16
"""

SYLLABLES = ["ba", "ke", "lo", "mi", "nu", "ra", "so", "ti", "ve", "zu", "qua", "wy", "fex", "gh",
             "jp"]


def write_words(path, count):
    """Unique words of syllables; returns the vocabulary size (3 special tokens + letters)."""
    words, letters = [], set()
    for i in range(count):
        w, x = "", i + 15
        while x > 0:
            w += SYLLABLES[x % 15]
            x //= 15
        letters.update(w)
        words.append(w)
    Path(path).write_text("\n".join(words) + "\n")
    return 3 + len(letters)


def word_config(vocab):
    return f"""task = "language_model"
seed = 4
[data]
kind = "text"
path = "words.txt"
max_length = 12

[[layers]]
type = "embedding"
name = "embedding"
inputs = ["input"]
vocab = {vocab}
dim = 8
padding_idx = 0

[[layers]]
type = "mask"
name = "mask"
inputs = ["input"]

[[layers]]
type = "lstm"
inputs = ["embedding", "mask"]
masked = true
units = 16
return_sequences = true

[[layers]]
type = "linear"
units = {vocab}

[optimizer]
type = "adam"
lr = 0.01

[train]
epochs = 2
batch_size = 32
"""


# ---------------------------------------------------------------------------------------------
# Runs: each trains once per session through redes.train.


class Run:
    def __init__(self, folder, config, summary):
        self.folder = Path(folder)
        self.config = Path(config)
        self.summary = summary
        self.model_path = self.folder / "model.redes"
        self.model = redes.load(self.model_path)


@pytest.fixture(scope="session")
def table_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("table")
    write_table(d / "train.csv", 300)
    # New rows to predict: the third has a missing x1.
    (d / "new.csv").write_text("x1,x2,color\n0.9,0.8,red\n-0.9,-0.7,blue\n,0.1,red\n"
                               "0.1,-0.3,blue\n0.2,0.2,red\n-0.05,0.4,red\n")
    write_table(d / "more.csv", 57, missing_row=7)
    return d


def train_table(table_dir, name, task, target, units, loss):
    write_table_config(table_dir / f"{name}.toml", "train.csv", task, target, units, loss)
    summary = redes.train(table_dir / f"{name}.toml", out=str(table_dir / name), threads=2)
    return Run(table_dir / name, table_dir / f"{name}.toml", summary)


@pytest.fixture(scope="session")
def binary(table_dir):
    return train_table(table_dir, "binary", "binary", "y", 1, "bce_logits")


@pytest.fixture(scope="session")
def multiclass(table_dir):
    return train_table(table_dir, "multiclass", "multiclass", "label", 3, "softmax_cross_entropy")


@pytest.fixture(scope="session")
def regression(table_dir):
    return train_table(table_dir, "regression", "regression", "z", 1, "mse")


@pytest.fixture(scope="session")
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp("images")
    train_x, train_y = image_pixels(120, seed=1)
    test_x, test_y = image_pixels(40, seed=2)
    write_idx(d / "train-images.idx", d / "train-labels.idx", train_x, train_y)
    write_idx(d / "test-images.idx", d / "test-labels.idx", test_x, test_y)
    (d / "cnn.toml").write_text(IMAGE_CONFIG)
    summary = redes.train(d / "cnn.toml", out=d / "run", threads=2)
    run = Run(d / "run", d / "cnn.toml", summary)
    run.test_pixels = test_x[:, None, :, :]  # (N, 1, 12, 12)
    return run


@pytest.fixture(scope="session")
def series(tmp_path_factory):
    d = tmp_path_factory.mktemp("series")
    write_series(d / "series.csv", 120)
    (d / "f.toml").write_text(SERIES_CONFIG)
    summary = redes.train(d / "f.toml", out=d / "run", threads=2)
    run = Run(d / "run", d / "f.toml", summary)
    run.data = d / "series.csv"
    return run


@pytest.fixture(scope="session")
def words(tmp_path_factory):
    d = tmp_path_factory.mktemp("words")
    vocab = write_words(d / "words.txt", 400)
    (d / "w.toml").write_text(word_config(vocab))
    summary = redes.train(d / "w.toml", out=d / "run", threads=2)
    run = Run(d / "run", d / "w.toml", summary)
    run.vocab = vocab
    return run


# ---------------------------------------------------------------------------------------------
# The CLI


@pytest.fixture(scope="session")
def cli():
    """The path of build/redes (env REDES_CLI); the tests that compare with it skip without it."""
    path = os.environ.get("REDES_CLI") or shutil.which("redes")
    if not path or not os.path.exists(path):
        pytest.skip("REDES_CLI is not set: no redes command-line tool to compare with")
    return path


def run_cli(cli, *args, cwd=None):
    r = subprocess.run([cli, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def cli_help_mentions(cli, command, text):
    r = subprocess.run([cli, command, "--help"], capture_output=True, text=True, timeout=60)
    return text in r.stdout
