"""Forecasters and word models from Python: forecast, sample and predict, as the CLI does them."""

import csv
import io
import re

import numpy as np
import pytest

from conftest import run_cli


def test_forecaster(series):
    m = series.model
    assert m.task == "forecast" and m.kind == "series"
    assert m.input_shape == (12, 1) and m.classes is None
    s = series.summary
    assert s["test"]["rmse"] > 0 and s["baselines"]["last_value"]["rmse"] > 0
    assert s["multi_step"]["steps"] == 6

    f = m.forecast(series.data, steps=4)
    # The last row is 2009-12: the next four months.
    assert f["times"] == ["2010-01-01", "2010-02-01", "2010-03-01", "2010-04-01"]
    assert f["time_column"] == "date" and f["value_column"] == "value"
    assert f["values"].dtype == np.float64 and f["values"].shape == (4,)
    assert np.all(np.abs(f["values"] - 124) < 15)  # the trend reaches ~124 by then
    assert len(m.forecast(series.data)["times"]) == 12  # default steps

    # predict on windows of the last 12 rows, in the series' units: one step ahead.
    values = np.loadtxt(series.data, delimiter=",", skiprows=1, usecols=1)
    window = values[-12:].reshape(1, 12, 1)
    p = m.predict(window)
    assert p.shape == (1, 1)
    assert p[0, 0] == pytest.approx(f["values"][0], rel=1e-5)


def test_forecast_equals_the_cli(series, cli):
    f = series.model.forecast(series.data, steps=4)
    out = run_cli(cli, "forecast", series.model_path, "--data", series.data, "--steps", 4)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["date", "value"]
    assert [r[0] for r in rows[1:]] == f["times"]
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], f["values"], rtol=1e-9)


def test_word_model(words):
    m = words.model
    assert m.task == "language_model" and m.kind == "text"
    assert len(m.classes) == words.vocab
    assert repr(m).endswith(f"{words.vocab} tokens>")
    assert words.summary["test"]["perplexity"] > 1
    sample = m.sample(count=7, temperature=0.8, seed=3)
    assert isinstance(sample, list) and len(sample) == 7
    assert all(re.fullmatch(r"[a-z]+", w) for w in sample), sample
    assert m.sample(count=7, temperature=0.8, seed=3) == sample
    assert len(m.sample()) == 20
    assert len(m.sample(3, temperature=0)) == 3

    # predict on token ids (N, T): a distribution over the tokens at every step.
    T = m.input_shape[0]
    ids = np.zeros((2, T), np.int64)
    ids[:, 0] = 1  # <s>
    p = m.predict(ids)
    assert p.shape == (2, T, words.vocab)
    np.testing.assert_allclose(p.sum(axis=-1), 1, atol=1e-5)
    assert m.predict_classes(ids).shape == (2, T)


def test_sample_equals_the_cli(words, cli):
    sample = words.model.sample(count=7, temperature=0.8, seed=3)
    out = run_cli(cli, "sample", words.model_path, "--count", 7, "--temperature", 0.8, "--seed", 3)
    assert out.split() == sample
