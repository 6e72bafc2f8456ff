"""What every bench/pytorch script shares: inference timing and the one JSON line bench/run reads.

The timing procedure is the one bench/redes_bench.cpp uses for redes: random standard-normal
inputs of the model's per-sample shape, a warm-up of a tenth of the budget, then as many calls as
fit in the budget (at least 5); the figure is the median call.
"""
import json
import statistics
import sys
import time

import torch


def train_epoch(net, opt, loss_fn, x, y, batch, track_loss=False):
    """One training epoch over mini-batches in a torch.randperm order: forward, loss, backward, step.

    Returns the mean training loss when track_loss (one .item() per batch), else None.
    """
    net.train()
    perm = torch.randperm(len(x))
    loss_sum = 0.0
    for i in range(0, len(x), batch):
        b = perm[i : i + batch]
        opt.zero_grad()
        loss = loss_fn(net(x[b]), y[b])
        loss.backward()
        opt.step()
        if track_loss:
            loss_sum += loss.item() * len(b)
    return loss_sum / len(x) if track_loss else None


def time_forward(net, sample_shape, batch, seconds):
    """Seconds of each inference call net(x) on a batch of random samples."""
    net.eval()
    x = torch.randn(batch, *sample_shape)
    with torch.inference_mode():
        warm_end = time.perf_counter() + 0.1 * seconds
        while True:
            net(x)
            if time.perf_counter() >= warm_end:
                break
        times = []
        end = time.perf_counter() + seconds
        while len(times) < 5 or time.perf_counter() < end:
            t0 = time.perf_counter()
            net(x)
            times.append(time.perf_counter() - t0)
    return times


def inference_figures(net, sample_shape, batch=256, seconds=1.0):
    """Throughput at `batch` (samples/s) and single-sample latency (µs), both from medians."""
    batched = time_forward(net, sample_shape, batch, seconds)
    single = time_forward(net, sample_shape, 1, seconds)
    batch_s = statistics.median(batched)
    return {"batch": batch, "throughput": batch / batch_s, "batch_ms_median": batch_s * 1e3,
            "latency_us_median": statistics.median(single) * 1e6,
            "calls": {"batch": len(batched), "single": len(single)}}


def add_bench_arguments(parser):
    """The options bench/run passes to every script in --bench mode."""
    parser.add_argument("--bench", action="store_true",
                        help="one seed; print one JSON line with training and inference figures")
    parser.add_argument("--infer-seconds", type=float, default=1.0,
                        help="time budget of each inference measurement (--bench)")
    parser.add_argument("--batch-infer", type=int, default=256,
                        help="batch size of the throughput measurement (--bench)")


def emit(result):
    """Prints the result line bench/run reads (the last line of standard output)."""
    result = dict(result)
    result.setdefault("framework", "pytorch")
    result.setdefault("torch", torch.__version__)
    result.setdefault("threads", torch.get_num_threads())
    print(json.dumps(result))
    sys.stdout.flush()
