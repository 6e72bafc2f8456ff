"""redes.train: the summary as a dict, the run folder, the overrides; evaluating the saved model
gives the figures the run reported."""

import json
import re

import pytest

import redes


def test_version():
    assert redes.__version__ == "0.2.0"


def test_binary_summary_has_test_metrics(binary):
    s = binary.summary
    assert isinstance(s, dict)
    assert s["task"] == "binary"
    assert s["epochs"] == 20
    for k in ("loss", "accuracy", "precision", "recall", "f1", "roc_auc"):
        assert isinstance(s["test"][k], float), k
    assert 0.5 < s["test"]["accuracy"] <= 1.0
    confusion = s["test"]["confusion"]
    assert isinstance(confusion, list) and len(confusion) == 2
    assert all(isinstance(c, int) for row in confusion for c in row)
    assert sum(map(sum, confusion)) == s["rows"]["test"] == 90
    assert s["out"] == str(binary.folder)
    # The dict is summary.json, plus "out".
    on_disk = json.loads((binary.folder / "summary.json").read_text())
    assert {k: v for k, v in s.items() if k != "out"} == on_disk
    for f in ("model.redes", "metrics.csv", "config.toml", "splits.json"):
        assert (binary.folder / f).exists(), f


def test_regression_summary(regression):
    t = regression.summary["test"]
    assert regression.summary["task"] == "regression"
    assert t["rmse"] > 0 and t["mae"] > 0
    assert "accuracy" not in t


def test_overrides_are_applied_and_written(table_dir):
    summary = redes.train(table_dir / "binary.toml", out=table_dir / "short", epochs=3, seed=7,
                          threads=1)
    assert summary["epochs"] == 3
    assert summary["seed"] == 7
    used = (table_dir / "short" / "config.toml").read_text()
    assert "epochs = 3" in used and "seed = 7" in used
    # The same seed and threads train the same model.
    again = redes.train(str(table_dir / "binary.toml"), out=str(table_dir / "short2"), epochs=3,
                        seed=7, threads=1)
    assert again["test"] == summary["test"]
    assert (without_run_id((table_dir / "short" / "model.redes").read_bytes()) ==
            without_run_id((table_dir / "short2" / "model.redes").read_bytes()))


def without_run_id(model_bytes):
    """A model file's bytes but its run id and the CRC-32 after them: two runs of one config
    differ in nothing else."""
    return re.sub(rb'"run_id":"[^"]*"', b'"run_id":""', model_bytes)[:-4]


def test_a_used_run_folder_is_never_replaced_without_overwrite(table_dir, tmp_path):
    first = redes.train(table_dir / "binary.toml", out=tmp_path / "x", epochs=2, threads=1)
    model = (tmp_path / "x" / "model.redes").read_bytes()
    second = redes.train(table_dir / "binary.toml", out=tmp_path / "x", epochs=2, threads=1)
    assert first["out"] == str(tmp_path / "x")
    assert second["out"] == str(tmp_path / "x-2")
    assert (tmp_path / "x" / "model.redes").read_bytes() == model
    third = redes.train(table_dir / "binary.toml", out=tmp_path / "x", epochs=2, threads=1,
                        overwrite=True)
    assert third["out"] == str(tmp_path / "x")
    assert third["run_id"] not in (first["run_id"], second["run_id"])


def test_evaluate_config_gives_the_reported_figures(binary, images):
    for run in (binary, images):
        m = run.model.evaluate_config(run.config)
        reported = run.summary["test"]
        assert m["accuracy"] == reported["accuracy"]
        assert m["confusion"] == reported["confusion"]
        assert m["loss"] == pytest.approx(reported["loss"], abs=1e-9)


def test_evaluate_table(binary, table_dir):
    m = binary.model.evaluate_table(table_dir / "train.csv")
    assert set(m) >= {"loss", "accuracy", "f1", "confusion"}
    assert sum(map(sum, m["confusion"])) == 300


def test_train_errors(table_dir, tmp_path):
    with pytest.raises(redes.Error, match="cannot open"):
        redes.train(tmp_path / "nope.toml", out=tmp_path / "run")
    bad = tmp_path / "bad.toml"
    bad.write_text((table_dir / "binary.toml").read_text().replace("seed = 3", "sead = 3")
                   .replace('"train.csv"', f'"{table_dir / "train.csv"}"'))
    with pytest.raises(redes.Error, match="sead") as e:
        redes.train(bad, out=tmp_path / "run")
    assert "bad.toml" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(redes.Error, match="epochs"):
        redes.train(table_dir / "binary.toml", out=tmp_path / "run", epochs=0)
    with pytest.raises(TypeError):
        redes.train(42)
