#!/usr/bin/python3
"""Writes the golden fixtures of the recurrent layers (tests/golden/rnn_test.cpp) from PyTorch.

Run by hand from the repository root, with the Python that has torch:

    /usr/bin/python3 tools/golden_rnn.py

Deterministic (fixed seeds, float32, one thread). The format is make_golden.py's (version 1);
this script only adds cases. Entry names:

  rnn_{lstm,gru}_*.bin
    input (N, T, F); [h0, c0 (N, L*D, H): the initial states, batch first]; [mask (N, T)]
    output: (N, T, D*H) with return_sequences, else (N, D*H) = h_n[-D:] batch first
    grad_output; h_n, [c_n] (N, L*D, H): the final states, batch first
    grad_input, [grad_h0, grad_c0]; param.<name>, grad.<name> (nn.LSTM / nn.GRU names)
    hp.units, hp.layers, hp.bidirectional, hp.return_sequences, hp.initial_state, hp.masked
  rnn_embedding*.bin
    input (N, T) ids, output, grad_output, param.weight, grad.weight,
    hp.vocab, hp.dim, hp.padding_idx (-1: none)
  rnn_ce_ignore*.bin
    pred (N, T, K), target (N, T) with -1 = ignored, loss, grad_pred, [class_weights]

Masked cases run PyTorch on pack_padded_sequence(x, lengths, batch_first=True,
enforce_sorted=False) and pad_packed_sequence(..., total_length=T); the mask we read is 1 for
t < length. The values of x at padded steps are random: the test proves they are ignored.
"""

import os
import sys

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import write_fixture  # noqa: E402

N, FEATURES, UNITS = 3, 4, 5

# name, kind, seed, T, layers, bidirectional, return_sequences, initial_state, lengths (or None)
# The C++ test lists the same names; the hyperparameters travel in the fixture (hp.*).
RNN_CASES = [
    ("t1", 1, 1, False, True, False, None),
    ("t3", 3, 1, False, True, False, None),
    ("t17_last", 17, 1, False, False, False, None),
    ("t17_seq_h0", 17, 1, False, True, True, None),
    ("stacked", 5, 2, False, True, False, None),
    ("bidir_last", 4, 1, True, False, False, None),
    ("bidir_stacked_h0", 4, 2, True, True, True, None),
    ("masked_bidir_stacked", 6, 2, True, True, False, [6, 2, 4]),
    ("masked_last_h0", 6, 1, False, False, True, [3, 6, 1]),
    ("masked_bidir_last", 5, 1, True, False, False, [2, 5, 3]),
]


def rnn_case(kind, seed, T, layers, bidirectional, return_sequences, initial_state, lengths):
    torch.manual_seed(seed)
    D = 2 if bidirectional else 1
    cls = torch.nn.LSTM if kind == "lstm" else torch.nn.GRU
    m = cls(FEATURES, UNITS, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    x = torch.randn(N, T, FEATURES, requires_grad=True)
    entries = [("input", x)]
    # Initial states batch first (N, L*D, H), as the layer reads them; PyTorch's are (L*D, N, H).
    states = []
    if initial_state:
        for name in ("h0", "c0") if kind == "lstm" else ("h0",):
            s = (0.5 * torch.randn(N, layers * D, UNITS)).requires_grad_(True)
            states.append(s)
            entries.append((name, s))
    torch_state = None
    if states:
        seq_first = [s.permute(1, 0, 2).contiguous() for s in states]
        torch_state = tuple(seq_first) if kind == "lstm" else seq_first[0]
    if lengths is not None:
        mask = torch.tensor([[1.0 if t < n else 0.0 for t in range(T)] for n in lengths])
        entries.append(("mask", mask))
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True,
                                      enforce_sorted=False)
        out_packed, final = m(packed, torch_state)
        out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=T)
    else:
        out, final = m(x, torch_state)
    h_n = final[0] if kind == "lstm" else final  # (L*D, N, H)
    if return_sequences:
        y = out  # (N, T, D*H)
    else:
        y = h_n[-D:].permute(1, 0, 2).reshape(N, D * UNITS)  # (N, D*H): forward | backward
    g = torch.randn(y.shape)
    y.backward(g)
    entries += [("output", y), ("grad_output", g), ("h_n", h_n.permute(1, 0, 2))]
    if kind == "lstm":
        entries.append(("c_n", final[1].permute(1, 0, 2)))
    entries.append(("grad_input", x.grad))
    for name, s in zip(("grad_h0", "grad_c0"), states):
        entries.append((name, s.grad))
    for pname, p in m.named_parameters():
        entries.append((f"param.{pname}", p))
        entries.append((f"grad.{pname}", p.grad))
    hp = {"units": UNITS, "layers": layers, "bidirectional": bidirectional,
          "return_sequences": return_sequences, "initial_state": initial_state,
          "masked": lengths is not None}
    entries += [(f"hp.{k}", torch.tensor(float(v))) for k, v in sorted(hp.items())]
    return entries


def embedding_case(seed, vocab, dim, padding_idx, ids):
    torch.manual_seed(seed)
    e = torch.nn.Embedding(vocab, dim, padding_idx=padding_idx)
    ids = torch.tensor(ids)
    out = e(ids)
    g = torch.randn(out.shape)
    out.backward(g)
    return [("input", ids.float()), ("output", out), ("grad_output", g),
            ("param.weight", e.weight), ("grad.weight", e.weight.grad),
            ("hp.vocab", torch.tensor(float(vocab))), ("hp.dim", torch.tensor(float(dim))),
            ("hp.padding_idx", torch.tensor(float(-1 if padding_idx is None else padding_idx)))]


def ce_case(seed, weights):
    torch.manual_seed(seed)
    n, t, k = 3, 4, 5
    pred = (2 * torch.randn(n, t, k)).requires_grad_(True)
    target = torch.randint(0, k, (n, t))
    target[0, 3] = target[1, 1] = target[1, 2] = target[2, 3] = -1  # padding of the next-char task
    w = None if weights is None else torch.tensor(weights)
    loss = F.cross_entropy(pred.reshape(-1, k), target.reshape(-1), weight=w, ignore_index=-1)
    loss.backward()
    entries = [("pred", pred), ("target", target.float()), ("loss", loss),
               ("grad_pred", pred.grad)]
    if w is not None:
        entries.append(("class_weights", w))
    return entries


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    sizes = {}
    for kind in ("lstm", "gru"):
        for i, (name, *args) in enumerate(RNN_CASES):
            fixture = f"rnn_{kind}_{name}"
            sizes[fixture] = write_fixture(fixture, rnn_case(kind, 200 + i, *args))
    ids = [[3, 1, 4, 1, 0], [5, 0, 0, 2, 6], [6, 6, 3, 0, 1]]
    sizes["rnn_embedding_pad"] = write_fixture("rnn_embedding_pad", embedding_case(300, 7, 4, 0, ids))
    sizes["rnn_embedding"] = write_fixture("rnn_embedding", embedding_case(301, 7, 3, None, ids))
    sizes["rnn_ce_ignore"] = write_fixture("rnn_ce_ignore", ce_case(310, None))
    sizes["rnn_ce_ignore_weighted"] = write_fixture("rnn_ce_ignore_weighted",
                                                    ce_case(311, [0.5, 2.0, 1.0, 0.25, 1.5]))
    for name, size in sizes.items():
        print(f"{name}.bin  {size} bytes")
    total = sum(sizes.values())
    print(f"{len(sizes)} fixtures, {total} bytes")
    assert total < 300 * 1024, "fixtures should stay small"
    return 0


if __name__ == "__main__":
    sys.exit(main())
