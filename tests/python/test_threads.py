"""Predicting from several Python threads at once on one Model: the results are those of serial
calls, and the calls release the GIL, so the threads really run in parallel."""

import threading
import time

import numpy as np
import pytest

import redes


@pytest.fixture
def one_thread_each():
    """The library's own threads set to 1 for the test: the parallelism is the Python threads'."""
    before = redes.num_threads()
    redes.set_num_threads(1)
    yield
    redes.set_num_threads(before)


def run_threads(count, target):
    errors = []

    def guarded(k):
        try:
            target(k)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


@pytest.mark.parametrize("threads", [1, 2])
def test_four_threads_give_the_serial_results(images, binary, table_dir, threads):
    before = redes.num_threads()
    redes.set_num_threads(threads)
    try:
        rng = np.random.default_rng(5)
        inputs = [rng.integers(0, 256, (300 + 50 * k, 1, 12, 12), dtype=np.uint8) for k in range(4)]
        inputs[1] = inputs[1].astype(np.float32) / 255  # one thread on the float path
        serial = [images.model.predict(x) for x in inputs]
        serial_table = binary.model.predict_table(table_dir / "more.csv")
        results = [[None] * 5 for _ in range(4)]
        tables = [None] * 4

        def work(k):
            for i in range(5):
                results[k][i] = images.model.predict(inputs[k])
            tables[k] = binary.model.predict_table(table_dir / "more.csv")

        run_threads(4, work)
        for k in range(4):
            for i in range(5):
                np.testing.assert_array_equal(results[k][i], serial[k])
            np.testing.assert_array_equal(tables[k], serial_table)
    finally:
        redes.set_num_threads(before)


def test_predict_releases_the_gil(images, one_thread_each):
    """While one thread is inside a long predict, the main thread keeps running Python code: the
    longest pause it sees is a small part of the call (holding the GIL, it would be all of it)."""
    x = np.random.default_rng(6).integers(0, 256, (60000, 1, 12, 12), dtype=np.uint8)
    span = {}

    def work():
        span["start"] = time.perf_counter()
        images.model.predict(x)
        span["end"] = time.perf_counter()

    worker = threading.Thread(target=work)
    last = time.perf_counter()
    longest = 0.0
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    worker.join()
    duration = span["end"] - span["start"]
    assert duration > 0.05, "the call is too short to tell"
    assert longest < duration / 3, (longest, duration)

