"""Model.predict and friends: shapes, probabilities, and the same numbers as `redes predict`."""

import csv
import io

import numpy as np
import pytest

import redes
from conftest import cli_help_mentions, run_cli


def cli_csv(cli, model, data):
    """`redes predict MODEL --input DATA` as (header, rows of cells)."""
    rows = list(csv.reader(io.StringIO(run_cli(cli, "predict", model, "--input", data))))
    return rows[0], rows[1:]


def test_attributes(binary, multiclass, regression, images):
    b = binary.model
    # x1, x2 standardised, color one-hot (blue, red) -> 4 network inputs
    assert b.input_shape == (4,)
    assert b.output_shape == (1,)
    assert b.task == "binary" and b.kind == "table"
    assert b.classes == ["0", "1"]
    assert repr(b) == "<redes.Model binary on table, input (4,), 2 classes>"
    assert multiclass.model.classes == ["high", "low", "mid"]
    assert repr(multiclass.model) == "<redes.Model multiclass on table, input (4,), 3 classes>"
    r = regression.model
    assert r.task == "regression" and r.classes is None
    assert repr(r) == "<redes.Model regression on table, input (4,), output (1,)>"
    m = images.model
    assert m.task == "multiclass" and m.kind == "images"
    assert m.input_shape == (1, 12, 12) and m.output_shape == (10,)
    assert len(m.classes) == 10
    assert repr(m) == "<redes.Model multiclass on images, input (1, 12, 12), 10 classes>"
    s = m.summary()
    assert "conv2d" in s and "linear" in s and s.count("\n") >= 5
    assert isinstance(b.input_shape, tuple) and all(type(d) is int for d in m.input_shape)


def test_predict_table(binary, multiclass, table_dir):
    m = binary.model
    p, rows = m.predict_table(table_dir / "more.csv", return_rows=True)
    assert p.dtype == np.float32 and p.shape == (56, 1)
    assert rows.dtype == np.int64 and list(rows) == [r for r in range(57) if r != 7]
    assert np.all((p >= 0) & (p <= 1))
    assert np.array_equal(m.predict_table(table_dir / "more.csv"), p)
    p, rows = multiclass.model.predict_table(str(table_dir / "new.csv"), return_rows=True)
    assert list(rows) == [0, 1, 3, 4, 5]  # row 2 has a missing x1
    assert p.shape == (5, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-6)


def test_binary_predict_table_equals_the_cli(binary, table_dir, cli):
    p = binary.model.predict_table(table_dir / "more.csv")
    header, cells = cli_csv(cli, binary.model_path, table_dir / "more.csv")
    assert header == ["p(0)", "p(1)", "predicted"]
    assert len(cells) == 57 and cells[7] == ["", "", ""]
    got = np.array([[float(c[0]), float(c[1])] for i, c in enumerate(cells) if i != 7])
    np.testing.assert_allclose(got[:, 1], p[:, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(got[:, 0], 1 - p[:, 0], rtol=0, atol=1e-6)
    predicted = [int(c[2]) for i, c in enumerate(cells) if i != 7]
    assert predicted == list((p[:, 0] >= 0.5).astype(int))


def test_multiclass_and_regression_equal_the_cli(multiclass, regression, table_dir, cli):
    m = multiclass.model
    p, rows = m.predict_table(table_dir / "new.csv", return_rows=True)
    header, cells = cli_csv(cli, multiclass.model_path, table_dir / "new.csv")
    assert header == ["p(high)", "p(low)", "p(mid)", "predicted"]
    kept = [cells[r] for r in rows]
    np.testing.assert_allclose(np.array([c[:3] for c in kept], float), p, rtol=0, atol=1e-6)
    assert [c[3] for c in kept] == [m.classes[k] for k in p.argmax(axis=1)]
    assert cells[2] == ["", "", "", ""]

    r = regression.model
    v, rows = r.predict_table(table_dir / "more.csv", return_rows=True)
    assert v.shape == (56, 1)
    header, cells = cli_csv(cli, regression.model_path, table_dir / "more.csv")
    assert header == ["z"]
    got = np.array([float(cells[i][0]) for i in rows])
    np.testing.assert_allclose(got, v[:, 0], rtol=1e-6, atol=1e-6)


def test_predict_on_network_inputs(multiclass):
    m = multiclass.model
    x = np.random.default_rng(0).normal(size=(7, 4))  # float64, converted to float32
    p = m.predict(x)
    assert p.dtype == np.float32 and p.shape == (7, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-6)
    np.testing.assert_array_equal(m.predict(x.astype(np.float32)), p)
    np.testing.assert_array_equal(m.predict(x.tolist()), p)  # nested lists
    # A non-contiguous view predicts as its copy.
    wide = np.zeros((7, 8))
    wide[:, ::2] = x
    np.testing.assert_array_equal(m.predict(wide[:, ::2]), p)
    # Integers and bools are numbers too; N = 0 gives (0, 3).
    assert m.predict(np.ones((2, 4), np.int64)).shape == (2, 3)
    np.testing.assert_array_equal(m.predict(np.ones((2, 4), bool)),
                                  m.predict(np.ones((2, 4), np.float32)))
    assert m.predict(np.zeros((0, 4), np.float32)).shape == (0, 3)
    classes = m.predict_classes(x)
    assert classes.dtype == np.int64 and classes.shape == (7,)
    np.testing.assert_array_equal(classes, p.argmax(axis=1))


def test_binary_predict_classes(binary):
    x = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
    p = binary.model.predict(x)
    assert p.shape == (20, 1)
    np.testing.assert_array_equal(binary.model.predict_classes(x), (p[:, 0] >= 0.5).astype(int))


def test_image_probabilities_and_pixel_types(images):
    m = images.model
    x = images.test_pixels
    assert x.dtype == np.uint8 and x.shape == (40, 1, 12, 12)
    p = m.predict(x)
    assert p.dtype == np.float32 and p.shape == (40, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-5)
    # Pixels as uint8 0..255 or as floats in [0, 1]: the same probabilities.
    np.testing.assert_allclose(m.predict(x.astype(np.float32) / 255), p, rtol=0, atol=1e-5)
    np.testing.assert_allclose(m.predict(x / 255.0), p, rtol=0, atol=1e-5)
    # The classes predicted agree with the accuracy the run reported.
    labels = np.arange(40) % 10
    accuracy = float(np.mean(m.predict_classes(x) == labels))
    assert accuracy == pytest.approx(images.summary["test"]["accuracy"])


def test_image_predict_equals_the_cli_on_npy(images, cli, tmp_path):
    if not cli_help_mentions(cli, "predict", ".npy"):
        pytest.skip("this redes predict takes no .npy input yet")
    x = images.test_pixels
    np.save(tmp_path / "x.npy", x)
    run_cli(cli, "predict", images.model_path, "--input", tmp_path / "x.npy", "--output",
            tmp_path / "y.npy")
    y = np.load(tmp_path / "y.npy")
    np.testing.assert_allclose(images.model.predict(x), y, rtol=0, atol=1e-6)


def test_save_and_load_round_trip(images, tmp_path):
    images.model.save(tmp_path / "copy.redes")
    copy = redes.load(str(tmp_path / "copy.redes"))
    assert repr(copy) == repr(images.model)
    np.testing.assert_array_equal(copy.predict(images.test_pixels),
                                  images.model.predict(images.test_pixels))


def test_npy_round_trip(tmp_path):
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7
    redes.write_npy(tmp_path / "a.npy", a)
    back = np.load(tmp_path / "a.npy")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, a.astype(np.float32))
    # Byte for byte what numpy.save writes for the float32 array.
    np.save(tmp_path / "b.npy", a.astype(np.float32))
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()
    np.testing.assert_array_equal(redes.read_npy(tmp_path / "b.npy"), back)
    u = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.save(tmp_path / "u.npy", u)
    r = redes.read_npy(tmp_path / "u.npy")
    assert r.dtype == np.uint8
    np.testing.assert_array_equal(r, u)
    np.save(tmp_path / "i.npy", np.array([[1, -2], [3, 4]], np.int64))
    np.testing.assert_array_equal(redes.read_npy(tmp_path / "i.npy"),
                                  np.array([[1, -2], [3, 4]], np.float32))
    redes.write_npy(tmp_path / "s.npy", 3.5)
    assert np.load(tmp_path / "s.npy").shape == ()


def test_export_onnx(images, tmp_path):
    # tests/onnx runs exported files in OpenCV; here, what Python gets back.
    s = images.model.export_onnx(tmp_path / "model.onnx")
    assert s["input"].startswith("input 'input' (N, 1, ") and s["input"].endswith("pixels in [0, 1]")
    assert s["output"].endswith("class probabilities")
    assert s["nodes"] > 2 and s["initializers"] > 2
    assert (tmp_path / "model.onnx").stat().st_size > 1000
    with pytest.raises(ValueError, match="opset 9"):
        images.model.export_onnx(tmp_path / "bad.onnx", opset=9)


def test_import_onnx(images, tmp_path):
    # The exported file comes back as a model that predicts the same.
    images.model.export_onnx(tmp_path / "model.onnx")
    back = redes.import_onnx(tmp_path / "model.onnx")
    x = np.random.default_rng(3).random((4, *images.model.input_shape), dtype=np.float32)
    np.testing.assert_allclose(back.predict(x), images.model.predict(x), rtol=1e-5, atol=1e-6)
    assert back.task == images.model.task
    (tmp_path / "junk.onnx").write_bytes(b"not onnx")
    with pytest.raises(redes.Error, match="junk.onnx: not an ONNX model"):
        redes.import_onnx(tmp_path / "junk.onnx")
