#!/usr/bin/python3
"""Writes the golden fixtures of the convolutional layers (tests/golden/fixtures/conv_*.bin).

Run by hand from the repository root, with the Python that has torch:

    /usr/bin/python3 tools/golden_conv.py [FIXTURE ...]

With names (e.g. conv_maxpool_ceil), writes only those fixtures. PyTorch's conv2d results can
differ by a float ulp between CPUs, so to add a case, write just the new fixtures.

Same format and writer as tools/make_golden.py (imported from it); deterministic (fixed seeds,
float32, one thread). The C++ side is tests/golden/conv_test.cpp, which builds each layer from
the same kind and attributes: keep CASES below and its table in step.

Entries: input, output, grad_output, grad_input, param.<name>, grad.<name> as make_golden's
layer fixtures; batch norm adds buffer.<name> (the running statistics before the forward) and
after.<name> (after it: a training forward updates them).
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import OUT_DIR, layer_case, write_fixture  # noqa: E402


def randn(seed, *shape):
    torch.manual_seed(seed)
    return torch.randn(*shape)


def module_fn(make, param_names=("weight", "bias")):
    """fn(x) for layer_case: builds the module (after layer_case has seeded torch, so with
    PyTorch's default initialisation), returns its output and its parameters."""
    def fn(x):
        m = make()
        params = {n: getattr(m, n) for n in param_names if getattr(m, n, None) is not None}
        return m(x), params
    return fn


def conv(*args, **kwargs):
    return module_fn(lambda: torch.nn.Conv2d(*args, **kwargs))


def plain(f):
    return lambda x: (f(x), {})


def pad(x, top, left, bottom, right, value):
    """x padded as redes' padding [top, left, bottom, right] (F.pad takes the last dimension
    first: left, right, top, bottom)."""
    return F.pad(x, (left, right, top, bottom), value=value)


def ties_input():
    """(2, 2, 6, 5) small integers: many windows hold their maximum more than once."""
    torch.manual_seed(31)
    return torch.randint(-2, 3, (2, 2, 6, 5)).float()


def batchnorm_case(seed, x, make, train):
    """A batch-norm fixture: random gamma/beta and random running statistics before the
    forward; records the statistics after it."""
    state = {}

    def fn(x):
        m = make()
        with torch.no_grad():
            if m.affine:
                m.weight.copy_(torch.randn(m.weight.shape) * 0.5 + 1.0)
                m.bias.copy_(torch.randn(m.bias.shape) * 0.5)
            m.running_mean.copy_(torch.randn(m.running_mean.shape) * 0.5)
            m.running_var.copy_(torch.rand(m.running_var.shape) + 0.5)
        state["before"] = (m.running_mean.clone(), m.running_var.clone())
        m.train(train)
        y = m(x)
        state["after"] = (m.running_mean.clone(), m.running_var.clone())
        params = {"weight": m.weight, "bias": m.bias} if m.affine else {}
        return y, params

    entries = layer_case(seed, x, fn)
    entries += [("buffer.running_mean", state["before"][0]),
                ("buffer.running_var", state["before"][1]),
                ("after.running_mean", state["after"][0]),
                ("after.running_var", state["after"][1])]
    return entries


# name: (input, fn). Keep in step with tests/golden/conv_test.cpp.
def cases():
    bn = torch.nn
    return {
        # Convolutions: every awkward configuration of the gradient checks.
        "conv_conv2d_basic": (randn(1, 2, 1, 6, 5), conv(1, 3, (3, 2))),
        "conv_conv2d_stride_pad": (randn(2, 2, 3, 7, 6),
                                   conv(3, 4, (3, 2), stride=2, padding=(1, 2))),
        "conv_conv2d_stride_uneven": (randn(3, 1, 3, 8, 9),
                                      conv(3, 2, 3, stride=(2, 3), padding=(0, 1))),
        "conv_conv2d_dilation": (randn(4, 2, 2, 8, 7), conv(2, 3, 3, dilation=2, padding=1)),
        "conv_conv2d_groups": (randn(5, 2, 4, 6, 5), conv(4, 6, 3, groups=2, padding=1)),
        "conv_conv2d_depthwise": (randn(6, 1, 5, 6, 6), conv(5, 5, 3, groups=5, stride=2)),
        "conv_conv2d_1x1": (randn(7, 3, 5, 4, 3), conv(5, 3, 1)),
        "conv_conv2d_1x1_groups": (randn(8, 2, 4, 3, 3), conv(4, 4, 1, groups=2)),
        "conv_conv2d_1x1_stride": (randn(9, 2, 3, 5, 4), conv(3, 2, 1, stride=2)),
        "conv_conv2d_same_even": (randn(10, 2, 3, 5, 6), conv(3, 2, (4, 2), padding="same")),
        "conv_conv2d_same_dilated": (randn(11, 3, 1, 6, 5),
                                     conv(1, 2, (2, 3), padding="same", dilation=(2, 1))),
        "conv_conv2d_valid_nobias": (randn(12, 3, 2, 4, 5),
                                     conv(2, 3, 2, padding="valid", bias=False)),
        "conv_conv2d_lenet": (randn(13, 1, 6, 10, 10), conv(6, 16, 5)),
        # Pooling.
        "conv_maxpool_2x2": (randn(20, 2, 3, 6, 5), plain(lambda x: F.max_pool2d(x, 2))),
        "conv_maxpool_pad_stride": (randn(21, 2, 2, 7, 6),
                                    plain(lambda x: F.max_pool2d(x, 3, stride=2, padding=1))),
        "conv_maxpool_ties": (ties_input(),
                              plain(lambda x: F.max_pool2d(x, (3, 2), stride=(1, 2),
                                                           padding=(1, 1)))),
        "conv_avgpool_2x2": (randn(22, 2, 3, 6, 5), plain(lambda x: F.avg_pool2d(x, 2))),
        "conv_avgpool_pad_stride": (randn(23, 2, 2, 7, 6),
                                    plain(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1))),
        "conv_avgpool_rect": (randn(24, 1, 2, 5, 7),
                              plain(lambda x: F.avg_pool2d(x, (2, 3), stride=(1, 2),
                                                           padding=(1, 1)))),
        "conv_global_avgpool": (randn(25, 2, 3, 4, 5),
                                plain(lambda x: F.adaptive_avg_pool2d(x, 1).flatten(1))),
        # Local response normalisation (alpha large enough that the neighbours matter).
        "conv_lrn_size3": (randn(30, 2, 5, 3, 4),
                           module_fn(lambda: bn.LocalResponseNorm(3, alpha=0.3, beta=0.75, k=1.5),
                                     ())),
        "conv_lrn_size5": (randn(31, 2, 7, 3, 3),
                           module_fn(lambda: bn.LocalResponseNorm(5, alpha=0.5, beta=0.6, k=2.0),
                                     ())),
        "conv_lrn_size2_defaults": (randn(32, 2, 4, 2, 3) * 10,
                                    module_fn(lambda: bn.LocalResponseNorm(2), ())),
        # Shape ops.
        "conv_flatten": (randn(40, 2, 3, 2, 4), plain(lambda x: x.flatten(1))),
        # Pooling options (appended: a case's seed is its position, so the fixtures above keep
        # their bytes). ceil_mode: partial last windows; "dropped": ceil((7 + 2 - 2) / 4) + 1 = 3
        # columns, but the third would start past the image and PyTorch drops it.
        "conv_maxpool_ceil": (randn(60, 2, 3, 5, 7),
                              plain(lambda x: F.max_pool2d(x, 2, ceil_mode=True))),
        "conv_maxpool_ceil_pad_stride": (randn(61, 2, 2, 6, 8),
                                         plain(lambda x: F.max_pool2d(x, 3, stride=2, padding=1,
                                                                      ceil_mode=True))),
        "conv_maxpool_ceil_dropped": (randn(62, 1, 2, 5, 7),
                                      plain(lambda x: F.max_pool2d(x, 2, stride=4, padding=1,
                                                                   ceil_mode=True))),
        "conv_maxpool_dilation": (randn(63, 2, 2, 7, 8),
                                  plain(lambda x: F.max_pool2d(x, 3, stride=1, padding=1,
                                                               dilation=2))),
        "conv_maxpool_dilation_ceil": (randn(64, 1, 2, 8, 9),
                                       plain(lambda x: F.max_pool2d(x, (3, 2), stride=(2, 3),
                                                                    padding=(1, 1),
                                                                    dilation=(2, 3),
                                                                    ceil_mode=True))),
        "conv_maxpool_dilation_ties": (ties_input(),
                                       plain(lambda x: F.max_pool2d(x, 2, stride=1, padding=1,
                                                                    dilation=2,
                                                                    ceil_mode=True))),
        "conv_avgpool_ceil": (randn(65, 2, 2, 5, 7),
                              plain(lambda x: F.avg_pool2d(x, 2, ceil_mode=True))),
        "conv_avgpool_ceil_pad": (randn(66, 2, 2, 6, 6),
                                  plain(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1,
                                                               ceil_mode=True))),
        "conv_avgpool_ceil_pad_nocount": (randn(67, 2, 2, 6, 7),
                                          plain(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1,
                                                                       ceil_mode=True,
                                                                       count_include_pad=False))),
        "conv_avgpool_pad_nocount": (randn(68, 1, 2, 5, 7),
                                     plain(lambda x: F.avg_pool2d(x, (2, 3), stride=(1, 2),
                                                                  padding=(1, 1),
                                                                  count_include_pad=False))),
        # Asymmetric pads [top, left, bottom, right]: PyTorch's pools have none, so F.pad
        # (left, right, top, bottom) with -inf (max) or 0 (avg, count_include_pad = true), then
        # the pool without padding. With ceil_mode only where the drop rule (measured from the
        # top/left pad) keeps the same windows in both.
        "conv_maxpool_asym": (randn(69, 2, 2, 6, 5),
                              plain(lambda x: F.max_pool2d(pad(x, 1, 0, 0, 1, -math.inf), 2))),
        "conv_maxpool_asym_stride1": (randn(70, 1, 2, 5, 6),
                                      plain(lambda x: F.max_pool2d(pad(x, 0, 1, 1, 0, -math.inf),
                                                                   (3, 2), stride=1))),
        "conv_maxpool_asym_dilation": (randn(71, 1, 2, 5, 7),
                                       plain(lambda x: F.max_pool2d(
                                           pad(x, 0, 1, 1, 2, -math.inf), 2, stride=1,
                                           dilation=(1, 3)))),
        "conv_maxpool_asym_ceil": (randn(72, 1, 2, 6, 7),
                                   plain(lambda x: F.max_pool2d(pad(x, 1, 0, 0, 1, -math.inf), 2,
                                                                ceil_mode=True))),
        "conv_avgpool_asym": (randn(73, 2, 2, 6, 7),
                              plain(lambda x: F.avg_pool2d(pad(x, 0, 1, 1, 0, 0.0), 3,
                                                           stride=2))),
        "conv_avgpool_asym_ceil": (randn(74, 1, 2, 6, 7),
                                   plain(lambda x: F.avg_pool2d(pad(x, 1, 0, 0, 1, 0.0), 2,
                                                                ceil_mode=True))),
    }


def batchnorm_cases():
    bn = torch.nn
    return {
        "conv_batchnorm1d_train": (randn(50, 6, 4), lambda: bn.BatchNorm1d(4), True),
        "conv_batchnorm1d_train_cl": (randn(51, 4, 3, 5) * 2 + 1,
                                      lambda: bn.BatchNorm1d(3, momentum=0.2), True),
        "conv_batchnorm1d_eval": (randn(52, 5, 4), lambda: bn.BatchNorm1d(4), False),
        "conv_batchnorm2d_train": (randn(53, 3, 4, 3, 5) * 3 - 1, lambda: bn.BatchNorm2d(4),
                                   True),
        "conv_batchnorm2d_train_noaffine": (randn(54, 2, 3, 2, 3),
                                            lambda: bn.BatchNorm2d(3, affine=False, eps=1e-3),
                                            True),
        "conv_batchnorm2d_eval": (randn(55, 3, 4, 3, 5), lambda: bn.BatchNorm2d(4), False),
    }


def main(argv):
    """argv: fixture names to write (all when empty). A case's seed is its position in its
    table either way."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)
    wanted = set(argv)
    unknown = wanted - set(cases()) - set(batchnorm_cases())
    if unknown:
        print(f"unknown fixture(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    sizes = {}
    for i, (name, (x, fn)) in enumerate(cases().items()):
        if not wanted or name in wanted:
            sizes[name] = write_fixture(name, layer_case(200 + i, x, fn))
    for i, (name, (x, make, train)) in enumerate(batchnorm_cases().items()):
        if not wanted or name in wanted:
            sizes[name] = write_fixture(name, batchnorm_case(300 + i, x, make, train))
    for name, size in sizes.items():
        print(f"{name}.bin  {size} bytes")
    total = sum(sizes.values())
    print(f"{len(sizes)} fixtures, {total} bytes in {os.path.normpath(OUT_DIR)}")
    assert total < 300 * 1024, "fixtures should stay small"
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
