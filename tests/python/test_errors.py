"""Every bad input raises redes.Error (a ValueError) with a one-line message, and never crashes
the interpreter."""

import numpy as np
import pytest

import redes


def raises(match):
    """pytest.raises(redes.Error) whose message must match and be one line."""

    class Check:
        def __enter__(self):
            self.ctx = pytest.raises(redes.Error, match=match)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self.ctx.__exit__(*exc)
            if handled:
                message = str(self.info.value)
                assert message and "\n" not in message, repr(message)
                assert isinstance(self.info.value, ValueError)
            return handled

    return Check()


def test_error_is_a_value_error():
    assert issubclass(redes.Error, ValueError)
    assert redes.Error.__module__ == "redes"


def test_wrong_shape(binary, images):
    with raises(r"the model takes float inputs of shape \(N, 4\), got \(3, 5\)"):
        binary.model.predict(np.zeros((3, 5), np.float32))
    with raises(r"\(N, 4\), got \(4,\)"):
        binary.model.predict(np.zeros(4))
    with raises(r"\(N, 4\), got \(\)"):
        binary.model.predict(1.5)
    with raises(r"\(N, 1, 12, 12\), got \(2, 12, 12\)"):
        images.model.predict(np.zeros((2, 12, 12), np.uint8))
    with raises(r"\(N, 1, 12, 12\), got \(2, 1, 12, 11\)"):
        images.model.predict(np.zeros((2, 1, 12, 11), np.float32))


def test_not_an_array_of_numbers(binary):
    m = binary.model
    with raises(r"Model.predict takes an array of numbers of shape \(N, 4\), got a str"):
        m.predict("abc")
    with raises(r"got a bytes"):
        m.predict(b"abcd")
    with raises(r"got None"):
        m.predict(None)
    with raises(r"got an array of dtype object"):
        m.predict(np.array([[1, "a", None, 2]], dtype=object))
    with raises(r"got an array of dtype complex128"):
        m.predict(np.zeros((2, 4), complex))
    with raises(r"got an array of dtype <U1"):
        m.predict(np.array([["a", "b", "c", "d"]]))
    with raises(r"got a list \(as an array: dtype <U"):
        m.predict([["a", "b", "c", "d"]])
    with raises(r"got a list that is not an array of numbers"):
        m.predict([[1, 2, 3, 4], [1, 2]])  # ragged
    with raises(r"got a dict"):
        m.predict({"x1": 1})
    with raises(r"dtype datetime64"):
        m.predict(np.zeros((1, 4), "datetime64[s]"))
    with raises(r"redes.write_npy takes an array of numbers"):
        redes.write_npy("never.npy", "text")


def test_model_files(binary, table_dir, tmp_path):
    with raises(r"nope.redes: cannot open"):
        redes.load(tmp_path / "nope.redes")
    good = binary.model_path.read_bytes()
    # Flipped bytes in the middle: the checksum catches them.
    bad = bytearray(good)
    for i in range(len(bad) // 2, len(bad) // 2 + 8):
        bad[i] ^= 0xFF
    (tmp_path / "flipped.redes").write_bytes(bytes(bad))
    with raises(r"flipped.redes"):
        redes.load(tmp_path / "flipped.redes")
    (tmp_path / "short.redes").write_bytes(good[: len(good) // 3])
    with raises(r"short.redes"):
        redes.load(tmp_path / "short.redes")
    (tmp_path / "empty.redes").write_bytes(b"")
    with raises(r"empty.redes"):
        redes.load(tmp_path / "empty.redes")
    # A config is not a model file.
    with raises(r"binary.toml"):
        redes.load(table_dir / "binary.toml")
    with pytest.raises(TypeError):
        redes.load(12)


def test_tables(binary, table_dir, tmp_path, images):
    (tmp_path / "cols.csv").write_text("x1,colour\n0.1,red\n")
    with raises(r"cols.csv.*no column 'x2'"):
        binary.model.predict_table(tmp_path / "cols.csv")
    (tmp_path / "green.csv").write_text("x1,x2,color\n0.1,0.2,green\n")
    with raises(r"green.csv:2: column 'color': unknown category 'green'"):
        binary.model.predict_table(tmp_path / "green.csv")
    (tmp_path / "text.csv").write_text("x1,x2,color\nabc,0.2,red\n")
    with raises(r"text.csv:2.*'abc'"):
        binary.model.predict_table(tmp_path / "text.csv")
    with raises(r"missing.csv.*cannot open"):
        binary.model.predict_table(tmp_path / "missing.csv")
    with raises(r"not trained on a table"):
        images.model.predict_table(table_dir / "new.csv")
    with raises(r"cols.csv.*no column"):
        binary.model.evaluate_table(tmp_path / "cols.csv")


def test_wrong_kind_of_model(regression, binary, table_dir, series):
    with raises(r"predict_classes needs a classifier; this is a regression model"):
        regression.model.predict_classes(np.zeros((2, 4), np.float32))
    with raises(r"not trained on a series"):
        binary.model.forecast(table_dir / "train.csv")
    with raises(r"not trained on words"):
        binary.model.sample(3)
    with raises(r"task 'forecast' on series data, the model was trained for 'binary'"):
        binary.model.evaluate_config(series.config)


def test_sequence_arguments(series, words, tmp_path):
    with raises(r"steps must be at least 1"):
        series.model.forecast(series.data, steps=0)
    (tmp_path / "few.csv").write_text("date,value\n2000-01-01,1\n2000-02-01,2\n")
    with raises(r"few.csv: the series has 2 rows but the model reads 12"):
        series.model.forecast(tmp_path / "few.csv")
    with raises(r"temperature must be 0 or more"):
        words.model.sample(3, temperature=-1)
    with raises(r"temperature must be 0 or more"):
        words.model.sample(3, temperature=float("nan"))
    with raises(r"count must not be negative"):
        words.model.sample(-1)


def test_npy_files(tmp_path):
    with raises(r"absent.npy"):
        redes.read_npy(tmp_path / "absent.npy")
    np.save(tmp_path / "b.npy", np.zeros(3, bool))
    with raises(r"b.npy"):
        redes.read_npy(tmp_path / "b.npy")
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    with raises(r"junk.npy"):
        redes.read_npy(tmp_path / "junk.npy")
