#!/usr/bin/python3
"""Writes the golden fixtures of tests/golden/ from PyTorch.

Run by hand from the repository root, with the Python that has torch (Debian's
python3-torch lives under /usr/bin/python3, not the python3 on PATH):

    /usr/bin/python3 tools/make_golden.py

It is deterministic (fixed seeds, float32, one thread): running it twice writes the same
bytes. PyTorch is never needed by the build or the tests; the fixtures are committed.

Fixture format (version 1), all little-endian, one file per case:

    magic    8 bytes  "REDESGLD"
    version  u32      1
    count    u32      number of entries
    count times:
      name_len u32      length of the name in bytes
      name     bytes    UTF-8, no terminator, unique within the file
      rank     u32      number of dimensions (0 for a scalar)
      dims     i64[rank]
      data     f32[prod(dims)]   row-major (a scalar holds one value)

The file ends right after the last entry. tests/support/golden.hpp reads it.

Entry names used by the tests:
  layer_*.bin     input, output, grad_output, grad_input, param.<name>, grad.<name>
  loss_*.bin      pred, target, loss (scalar), grad_pred, [class_weights], hp.huber_delta
  train_*.bin     x, y, init.<layer>.<param>, final.<layer>.<param>, losses (steps,),
                  lrs (steps,: the learning rate each step used), [grad_norms (steps,):
                  the norm before clipping], hp.<optimizer/schedule field> (scalars)
"""

import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

VERSION = 1
MAGIC = b"REDESGLD"
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden",
                       "fixtures")
STEPS = 20


def write_fixture(name, entries):
    """entries: list of (name, tensor-like). Writes OUT_DIR/name.bin, returns its size."""
    names = [n for n, _ in entries]
    assert len(set(names)) == len(names), f"{name}: duplicate entry names"
    out = bytearray(MAGIC)
    out += struct.pack("<II", VERSION, len(entries))
    for entry_name, value in entries:
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        arr = np.asarray(value, dtype=np.float32)
        assert np.all(np.isfinite(arr)), f"{name}/{entry_name} has a non-finite value"
        encoded = entry_name.encode("utf-8")
        out += struct.pack("<I", len(encoded)) + encoded
        out += struct.pack("<I", arr.ndim)
        out += struct.pack(f"<{arr.ndim}q", *arr.shape)
        out += np.ascontiguousarray(arr).astype("<f4").tobytes()
    path = os.path.join(OUT_DIR, name + ".bin")
    with open(path, "wb") as f:
        f.write(out)
    return len(out)


# --------------------------------------------------------------------------------------------
# Layers: forward on a fixed input, backward of a random upstream gradient.
# The C++ test (tests/golden/layers_test.cpp) builds the same layers from LayerSpecs; keep
# the two tables in step.

def activation_input():
    """(3, 7): large negative and positive values, values near zero (and zero itself, where
    PyTorch's conventions for relu/leaky_relu at 0 apply), and ordinary random values."""
    torch.manual_seed(11)
    x = torch.empty(3, 7)
    x[0] = torch.tensor([-50.0, -30.0, -10.0, -3.0, -1.0, -0.5, -1e-3])
    x[1] = torch.tensor([0.0, 1e-3, 0.5, 1.0, 3.0, 10.0, 30.0])
    x[2] = torch.randn(7) * 2
    return x


def layer_case(seed, x, module_fn):
    """Runs module_fn(x) = (output, {param name: tensor}) and backward of a random g."""
    torch.manual_seed(seed)
    x = x.clone().requires_grad_(True)
    out, params = module_fn(x)
    g = torch.randn(out.shape)
    out.backward(g)
    entries = [("input", x), ("output", out), ("grad_output", g), ("grad_input", x.grad)]
    for pname, p in params.items():
        entries.append((f"param.{pname}", p))
        entries.append((f"grad.{pname}", p.grad))
    return entries


def linear_fn(units, bias):
    def fn(x):
        lin = torch.nn.Linear(x.shape[-1], units, bias=bias)
        params = {"weight": lin.weight}
        if bias:
            params["bias"] = lin.bias
        return lin(x), params
    return fn


def plain(f):
    return lambda x: (f(x), {})


def make_layers():
    sizes = {}
    torch.manual_seed(1)
    x2 = torch.randn(3, 5)
    x3 = torch.randn(2, 4, 5)
    act = activation_input()
    torch.manual_seed(2)
    logits = torch.empty(4, 6)
    logits[0] = torch.tensor([1000.0, 999.0, 998.0, 990.0, 0.0, -1000.0])
    logits[1] = torch.randn(6) * 50
    logits[2] = torch.tensor([-1000.0, -1001.0, -999.5, -1000.0, -1003.0, -1000.25])
    logits[3] = torch.randn(6)

    cases = {
        "layer_linear_2d_bias": (x2, linear_fn(4, True)),
        "layer_linear_2d_nobias": (x2, linear_fn(4, False)),
        "layer_linear_3d_bias": (x3, linear_fn(3, True)),
        "layer_linear_3d_nobias": (x3, linear_fn(3, False)),
        "layer_relu": (act, plain(torch.relu)),
        "layer_leaky_relu": (act, plain(lambda x: F.leaky_relu(x, negative_slope=0.2))),
        "layer_sigmoid": (act, plain(torch.sigmoid)),
        "layer_tanh": (act, plain(torch.tanh)),
        "layer_gelu_none": (act, plain(lambda x: F.gelu(x, approximate="none"))),
        "layer_gelu_tanh": (act, plain(lambda x: F.gelu(x, approximate="tanh"))),
        "layer_softmax": (logits, plain(lambda x: torch.softmax(x, dim=-1))),
        # Added later: appended so that the cases above keep their seeds (100 + i).
        # The act inputs hold exactly 0 (ELU's gradient there is alpha: the x <= 0 branch),
        # -3 and 3 (hardsigmoid's boundaries, and hardtanh's max: gradient 0) and, with
        # beta 2, threshold 10, values on both sides of softplus's threshold (x = 5).
        "layer_elu": (act, plain(lambda x: F.elu(x, alpha=0.7))),
        "layer_selu": (act, plain(F.selu)),
        "layer_softplus": (act, plain(lambda x: F.softplus(x, beta=2.0, threshold=10.0))),
        "layer_softsign": (act, plain(F.softsign)),
        "layer_hard_sigmoid": (act, plain(F.hardsigmoid)),
        "layer_hardtanh": (act, plain(lambda x: F.hardtanh(x, min_val=-2.0, max_val=3.0))),
        "layer_log_softmax": (logits, plain(lambda x: F.log_softmax(x, dim=-1))),
    }
    for i, (name, (x, fn)) in enumerate(cases.items()):
        sizes[name] = write_fixture(name, layer_case(100 + i, x, fn))
    return sizes


# --------------------------------------------------------------------------------------------
# Losses: value (reduction "mean", as ours) and d loss / d pred.

def loss_case(pred, target, fn, extra=()):
    pred = pred.clone().requires_grad_(True)
    loss = fn(pred, target)
    loss.backward()
    return [("pred", pred), ("target", target), ("loss", loss), ("grad_pred", pred.grad)] + \
        list(extra)


def make_losses():
    sizes = {}
    torch.manual_seed(3)
    # bce_logits: (10, 1) logits incl. +-30 (saturated sigmoid, both the right and the wrong
    # label), zero, tiny values; targets mostly 0/1 plus two soft labels.
    logits = torch.tensor([[30.0], [-30.0], [30.0], [-30.0], [0.0], [1e-3], [-2.5], [4.0],
                           [0.7], [-0.3]])
    target = torch.tensor([[1.0], [0.0], [0.0], [1.0], [1.0], [0.0], [0.0], [1.0], [0.25],
                           [0.8]])
    sizes["loss_bce_logits"] = write_fixture(
        "loss_bce_logits",
        loss_case(logits, target, F.binary_cross_entropy_with_logits))

    # softmax_cross_entropy: N=5, K=4, class indices stored as float; one row of large logits.
    pred = torch.randn(5, 4) * 2
    pred[3] = torch.tensor([40.0, -20.0, 35.0, 0.0])
    cls = torch.tensor([0, 3, 1, 2, 1])
    sizes["loss_softmax_ce"] = write_fixture(
        "loss_softmax_ce", loss_case(pred, cls.float(), lambda p, t: F.cross_entropy(p, cls)))
    weights = torch.tensor([0.5, 1.0, 2.0, 0.25])
    sizes["loss_softmax_ce_weighted"] = write_fixture(
        "loss_softmax_ce_weighted",
        loss_case(pred, cls.float(), lambda p, t: F.cross_entropy(p, cls, weight=weights),
                  extra=[("class_weights", weights)]))

    # Regression losses on (4, 3): the mean is over all 12 elements, as PyTorch's.
    pred = torch.randn(4, 3)
    target = torch.randn(4, 3)
    sizes["loss_mse"] = write_fixture("loss_mse", loss_case(pred, target, F.mse_loss))
    sizes["loss_mae"] = write_fixture("loss_mae", loss_case(pred, target, F.l1_loss))
    # Huber: differences spread over both regions for both deltas, none exactly on |d| = delta.
    diff = torch.tensor([[-2.5, -1.2, -0.8], [-0.6, -0.3, -0.05], [0.1, 0.4, 0.7],
                         [0.9, 1.3, 3.0]])
    target = torch.randn(4, 3)
    pred = target + diff
    for delta, tag in ((1.0, "1"), (0.5, "05")):
        name = f"loss_huber_delta{tag}"
        sizes[name] = write_fixture(
            name, loss_case(pred, target, lambda p, t: F.huber_loss(p, t, delta=delta),
                            extra=[("hp.huber_delta", torch.tensor(delta))]))
    return sizes


# --------------------------------------------------------------------------------------------
# Training matches: a small MLP, full batch (N=16), STEPS optimizer steps.
#   in 6 -> fc1 linear 8 -> act1 relu -> fc2 linear 8 -> act2 tanh -> fc3 linear K
# K=1 with bce_logits, K=3 with softmax_cross_entropy. Each step: loss (recorded) ->
# backward -> [clip] -> optimizer step -> [schedule step]. The C++ test
# (tests/golden/training_test.cpp) holds the same table of cases.

LAYERS = ("fc1", "fc2", "fc3")

TRAIN_CASES = [
    # name, classes, optimizer kind, optimizer kwargs, extras
    ("train_sgd", 1, "sgd", dict(lr=0.1), {}),
    ("train_sgd_nesterov_wd", 1, "sgd",
     dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3), {}),
    ("train_adam", 1, "adam", dict(lr=1e-2), {}),
    ("train_adam_wd", 1, "adam", dict(lr=1e-2, weight_decay=1e-2), {}),
    ("train_adamw", 1, "adamw", dict(lr=1e-2, weight_decay=0.1), {}),
    ("train_rmsprop", 1, "rmsprop", dict(lr=1e-2), {}),
    ("train_rmsprop_centered_momentum", 1, "rmsprop",
     dict(lr=1e-2, centered=True, momentum=0.5), {}),
    # init_scale 3: default-initialised weights give gradient norms of ~0.16, which clipping at
    # 0.5 would never touch; three times larger weights give norms of ~1 in the first steps.
    ("train_sgd_clip", 1, "sgd", dict(lr=0.1), dict(clip=0.5, init_scale=3.0)),
    ("train_sgd_momentum_step", 1, "sgd", dict(lr=0.1, momentum=0.9),
     dict(schedule="step", step_size=5, gamma=0.5)),
    ("train_adam_cosine", 1, "adam", dict(lr=1e-2),
     dict(schedule="cosine", t_max=STEPS, eta_min=1e-3)),
    ("train_mlp3_adam", 3, "adam", dict(lr=1e-2), {}),
    ("train_mlp3_sgd_momentum_weighted", 3, "sgd", dict(lr=0.1, momentum=0.9),
     dict(class_weights=[1.0, 2.0, 0.5])),
]

OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
}


def training_data(classes):
    torch.manual_seed(5)
    x = torch.randn(16, 6)
    w = torch.randn(6, classes)
    if classes == 1:
        y = ((x @ w + 0.3 * torch.randn(16, 1)) > 0).float()  # (16, 1) in {0, 1}
    else:
        y = torch.argmax(x @ w + 0.3 * torch.randn(16, classes), dim=1).float()  # (16,)
    return x, y


def make_training():
    sizes = {}
    for name, classes, kind, kwargs, extras in TRAIN_CASES:
        x, y = training_data(classes)
        torch.manual_seed(7)
        model = torch.nn.Sequential()
        model.add_module("fc1", torch.nn.Linear(6, 8))
        model.add_module("act1", torch.nn.ReLU())
        model.add_module("fc2", torch.nn.Linear(8, 8))
        model.add_module("act2", torch.nn.Tanh())
        model.add_module("fc3", torch.nn.Linear(8, classes))
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(extras.get("init_scale", 1.0))
        entries = [("x", x), ("y", y)]
        entries += [(f"init.{n}", p.detach().clone()) for n, p in model.named_parameters()]

        # torch's AdamW defaults to weight_decay 1e-2, ours to 0: always state it.
        assert kind != "adamw" or "weight_decay" in kwargs
        opt = OPTIMIZERS[kind](model.parameters(), **kwargs)
        sched = None
        if extras.get("schedule") == "step":
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=extras["step_size"],
                                                    gamma=extras["gamma"])
        elif extras.get("schedule") == "cosine":
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=extras["t_max"],
                                                               eta_min=extras["eta_min"])
        if classes == 1:
            loss_fn = F.binary_cross_entropy_with_logits
            target = y
        else:
            weight = torch.tensor(extras["class_weights"]) if "class_weights" in extras else None
            target = y.long()
            loss_fn = lambda p, t: F.cross_entropy(p, t, weight=weight)  # noqa: E731

        losses, lrs, norms = [], [], []
        for _ in range(STEPS):
            opt.zero_grad()
            loss = loss_fn(model(x), target)
            loss.backward()
            losses.append(loss.item())
            lrs.append(opt.param_groups[0]["lr"])
            if "clip" in extras:
                norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(),
                                                            extras["clip"]).item())
            opt.step()
            if sched is not None:
                sched.step()

        entries += [(f"final.{n}", p.detach().clone()) for n, p in model.named_parameters()]
        entries += [("losses", torch.tensor(losses)), ("lrs", torch.tensor(lrs))]
        if norms:
            entries.append(("grad_norms", torch.tensor(norms)))
            clipped = sum(n > extras["clip"] for n in norms)
            assert clipped >= STEPS // 2, f"{name}: clipping is active in only {clipped} steps"
        # Every hyperparameter the C++ test must reproduce, so that it can check its table.
        hp = {"lr": kwargs["lr"], "weight_decay": kwargs.get("weight_decay", 0.0),
              "momentum": kwargs.get("momentum", 0.0),
              "nesterov": float(kwargs.get("nesterov", False)),
              "centered": float(kwargs.get("centered", False)), "classes": classes}
        for key in ("clip", "step_size", "gamma", "t_max", "eta_min"):
            if key in extras:
                hp[key] = extras[key]
        if "class_weights" in extras:
            entries.append(("class_weights", torch.tensor(extras["class_weights"])))
        entries += [(f"hp.{k}", torch.tensor(float(v))) for k, v in sorted(hp.items())]
        sizes[name] = write_fixture(name, entries)
        print(f"  {name}: loss {losses[0]:.5f} -> {losses[-1]:.5f}")
    return sizes


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)
    sizes = {}
    sizes.update(make_layers())
    sizes.update(make_losses())
    sizes.update(make_training())
    for name, size in sizes.items():
        print(f"{name}.bin  {size} bytes")
    total = sum(sizes.values())
    print(f"{len(sizes)} fixtures, {total} bytes in {os.path.normpath(OUT_DIR)}")
    assert total < 256 * 1024, "fixtures should stay small"
    return 0


if __name__ == "__main__":
    sys.exit(main())
