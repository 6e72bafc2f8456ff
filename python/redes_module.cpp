// The Python module `redes`: train a config, load a model, predict from NumPy arrays.
//
//   import redes, numpy as np
//   summary = redes.train("examples/cars.toml", out="runs/cars")   # summary.json as a dict
//   m = redes.load("runs/cars/model.redes")
//   p = m.predict_table("new_cars.csv")        # (N, 1): P(eco-friendly)
//   p = m.predict(x)                           # x (N, *m.input_shape); uint8 images are pixels
//   m = redes.import_onnx("lenet5.onnx")       # a model from PyTorch, say
//
// Every redes::Error (ConfigError, DataError, ModelFileError, ShapeError) becomes redes.Error, a
// subclass of ValueError, with the library's one-line message. Inputs are copied into tensors of
// the library while the GIL is held; training and predicting then run without it, so Python
// threads predicting on one Model run in parallel (the library gives each call a graph of its
// own, see redes/model.hpp), every one on the thread count last set (redes.set_num_threads, or a
// training run's).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "redes/config.hpp"
#include "redes/error.hpp"
#include "redes/model.hpp"
#include "redes/npy.hpp"
#include "redes/onnx.hpp"
#include "redes/run.hpp"
#include "redes/task.hpp"
#include "redes/tensor.hpp"
#include "redes/threads.hpp"
#include "redes/train.hpp"
#include "redes/version.hpp"

namespace py = pybind11;

namespace {

using redes::Model;
using redes::Shape;
using redes::Tensor;

// redes.Error; a strong reference kept for the life of the process (no destructor at exit, when
// the interpreter may be gone).
PyObject* error_type = nullptr;

// Messages are one line; a stray newline (from a third-party parser, say) becomes a space.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Text from the library as a Python str. Paths and class names need not be UTF-8: bytes that are
// not become U+FFFD rather than a UnicodeDecodeError in place of the real answer.
py::str text(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

// f() without the GIL (other Python threads run meanwhile), on the thread count the library
// chose last (redes.set_num_threads, a training run's): OpenMP keeps it per thread.
template <class F>
auto without_gil(F&& f) {
  py::gil_scoped_release unlocked;
  redes::use_chosen_num_threads();
  return f();
}

void set_error(PyObject* type, const char* what) {
  const py::str message = text(one_line(what));
  PyErr_SetObject(type, message.ptr());
}

// A path argument: str, bytes or os.PathLike, as the bytes the file system takes.
std::string path_arg(const py::handle& p) {
  const py::bytes b = py::module_::import("os").attr("fsencode")(p);
  return std::string(b);
}

// nlohmann::json as Python objects: objects -> dict, arrays -> list, null -> None.
py::object to_python(const nlohmann::json& j) {
  using T = nlohmann::json::value_t;
  switch (j.type()) {
    case T::null:
    case T::discarded:
      return py::none();
    case T::boolean:
      return py::bool_(j.get<bool>());
    case T::number_integer:
      return py::int_(j.get<int64_t>());
    case T::number_unsigned:
      return py::int_(j.get<uint64_t>());
    case T::number_float:
      return py::float_(j.get<double>());
    case T::string:
      return text(j.get_ref<const std::string&>());
    case T::binary: {
      const auto& b = j.get_binary();
      return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
    }
    case T::array: {
      py::list l;
      for (const auto& e : j) l.append(to_python(e));
      return l;
    }
    case T::object: {
      py::dict d;
      for (const auto& [k, v] : j.items()) d[text(k)] = to_python(v);
      return d;
    }
  }
  return py::none();
}

py::tuple shape_tuple(const Shape& s) {
  py::tuple t(s.rank());
  for (int i = 0; i < s.rank(); ++i) t[i] = py::int_(s[i]);
  return t;
}

// "(N, 11)": a batch of samples of shape s.
std::string batch_text(const Shape& s) {
  std::string t = "(N";
  for (int64_t d : s.dims()) t += ", " + std::to_string(d);
  return t + ")";
}

// x (any array-like) as a NumPy array of real numbers (bool, integers, floats). Anything else is
// a redes::Error: "<what> takes <expected>, got <what x is>".
py::array real_array(const py::handle& x, const std::string& what, const std::string& expected) {
  const bool is_array = py::isinstance<py::array>(x);
  const std::string head = what + " takes " + expected + ", got ";
  const std::string type_name = Py_TYPE(x.ptr())->tp_name;
  if (PyUnicode_Check(x.ptr()) || PyBytes_Check(x.ptr()) || x.is_none())
    throw redes::Error(head + (x.is_none() ? "None" : "a " + type_name));
  py::array a;
  try {
    a = py::module_::import("numpy").attr("asarray")(x);
  } catch (py::error_already_set& e) {
    throw redes::Error(head + "a " + type_name + " that is not an array of numbers (" +
                       std::string(py::str(e.value())) + ")");
  }
  const char kind = a.dtype().kind();
  if (kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f') {
    const std::string dtype = py::str(a.dtype());
    throw redes::Error(head + (is_array
                                   ? "an array of dtype " + dtype
                                   : "a " + type_name + " (as an array: dtype " + dtype + ")"));
  }
  return a;
}

Shape shape_of(const py::array& a) {
  std::vector<int64_t> d(a.shape(), a.shape() + a.ndim());
  return Shape(std::move(d));
}

// A contiguous copy of a as float32 (the library's own tensor).
Tensor float_tensor(const py::array& a) {
  const auto f = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!f) throw py::error_already_set();
  return Tensor(shape_of(f), std::vector<float>(f.data(), f.data() + f.size()));
}

py::array_t<float> to_numpy(const Tensor& t) {
  const auto& dims = t.shape().dims();
  py::array_t<float> a(std::vector<py::ssize_t>(dims.begin(), dims.end()));
  std::copy_n(t.data(), t.numel(), a.mutable_data());
  return a;
}

py::array_t<int64_t> to_numpy(const std::vector<int64_t>& v) {
  py::array_t<int64_t> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

// Model.predict: uint8 arrays as uint8 (pixels 0..255 for image models), every other real dtype
// as float32. x is (N, input_shape...).
Tensor predict(const Model& m, const py::handle& x) {
  const py::array a =
      real_array(x, "Model.predict", "an array of numbers of shape " + batch_text(m.input_shape()));
  if (py::isinstance<py::array_t<uint8_t>>(a)) {
    const auto u = py::array_t<uint8_t, py::array::c_style>::ensure(a);
    if (!u) throw py::error_already_set();
    const redes::BasicTensor<uint8_t> pixels(shape_of(u),
                                             std::vector<uint8_t>(u.data(), u.data() + u.size()));
    return without_gil([&] { return m.predict(pixels.view()); });
  }
  const Tensor in = float_tensor(a);
  return without_gil([&] { return m.predict(in.view()); });
}

// The class of each prediction p (N, ..., K): argmax over the last dimension; binary p is
// (N, 1), P(class 1), and the class is p >= 0.5. Returns (N, ...).
py::array_t<int64_t> classes_of(redes::Task task, const Tensor& p) {
  const std::vector<int64_t>& dims = p.shape().dims();
  const int64_t width = dims.empty() ? 1 : dims.back();
  std::vector<py::ssize_t> out(dims.begin(), dims.end() - (dims.size() > 1 ? 1 : 0));
  py::array_t<int64_t> c(out);
  int64_t* dst = c.mutable_data();
  const int64_t rows = width ? p.numel() / width : 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = p.data() + r * width;
    dst[r] = task == redes::Task::binary ? (row[0] >= 0.5f ? 1 : 0)
                                         : std::max_element(row, row + width) - row;
  }
  return c;
}

std::string repr(const Model& m) {
  const std::string task(redes::name(m.task()));
  std::string r = "<redes.Model " + task + " on " + std::string(redes::name(m.kind())) +
                  ", input " + m.input_shape().str();
  const auto classes = m.classes();
  if (m.task() == redes::Task::language_model)
    r += ", " + std::to_string(classes.size()) + " tokens";
  else if (redes::is_classifier(m.task()))
    r += ", " + std::to_string(classes.size()) + " classes";
  else
    r += ", output " + m.output_shape().str();
  return r + ">";
}

py::object metrics_dict(const redes::Metrics& metrics) { return to_python(metrics.to_json()); }

}  // namespace

PYBIND11_MODULE(redes, m) {
  m.doc() =
      "redes: train the networks of a config, load saved models and predict from NumPy arrays.\n\n"
      "    summary = redes.train('examples/cars.toml', out='runs/cars')\n"
      "    model = redes.load('runs/cars/model.redes')\n"
      "    p = model.predict_table('new_cars.csv')   # (N, 1): P(class 1)\n"
      "    p = model.predict(x)                      # x (N, *model.input_shape)\n\n"
      "Errors of the library raise redes.Error (a ValueError) with a one-line message.";
  m.attr("__version__") = redes::kVersion;

  // redes.Error for every redes::Error subclass, thrown by value and caught by reference; JSON
  // errors of the library (a model's metadata) too. Other std::exceptions keep pybind11's
  // translation (RuntimeError, MemoryError for bad_alloc, ...).
  py::exception<redes::Error> error(m, "Error", PyExc_ValueError);
  error.doc() =
      "An error of the redes library (a bad config, data or model file, or a shape that does not "
      "fit), with its one-line message.";
  error_type = error.inc_ref().ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const redes::Error& e) {
      set_error(error_type, e.what());
    } catch (const nlohmann::json::exception& e) {
      set_error(error_type, e.what());
    }
  });

  m.def(
      "train",
      [](const py::object& config, const py::object& out, std::optional<int> epochs,
         std::optional<uint64_t> seed, std::optional<int> threads, bool verbose, bool overwrite) {
        redes::TrainOverrides o;
        const std::string path = path_arg(config);
        if (!out.is_none()) o.out = path_arg(out);
        o.control.overwrite = overwrite;
        o.epochs = epochs;
        o.seed = seed;
        o.threads = threads;
        const nlohmann::json summary = without_gil([&] {
          const auto progress = redes::make_console_progress(!verbose);
          // The run sets the thread count of its config (or threads=): it stays, as in the CLI.
          return redes::train_config(path, o, *progress);
        });
        return to_python(summary);
      },
      py::arg("config"), py::arg("out") = py::none(), py::arg("epochs") = py::none(),
      py::arg("seed") = py::none(), py::arg("threads") = py::none(), py::arg("verbose") = false,
      py::arg("overwrite") = false,
      "Trains the model a config (a TOML file) describes, as `redes train` does, and writes the "
      "run folder `out` (default: runs/<name>): config.toml, model.redes, metrics.csv, "
      "summary.json, run.json. A folder that holds another run is left alone: the run goes to "
      "the next free name (out-2, ...) unless overwrite=True replaces it. epochs, seed and "
      "threads override the config's. verbose prints a line per epoch to standard error. "
      "Returns summary.json as a dict, with 'out', the run folder.");

  m.def(
      "load",
      [](const py::object& path) {
        const std::string p = path_arg(path);
        return without_gil([&] { return std::make_shared<Model>(Model::load(p)); });
      },
      py::arg("path"), "Loads a model file (model.redes in a run folder).");

  m.def(
      "import_onnx",
      [](const py::object& path, std::optional<std::vector<int64_t>> input_shape,
         const std::string& task) {
        const std::string p = path_arg(path);
        redes::OnnxImportOptions o;
        if (input_shape) o.input_shape = *input_shape;
        o.task = task;
        return without_gil([&] { return std::make_shared<Model>(redes::import_onnx(p, o)); });
      },
      py::arg("path"), py::arg("input_shape") = py::none(), py::arg("task") = "",
      "Reads an ONNX model (as `redes import`): each node becomes the redes layer that computes "
      "the same; a node redes cannot compute raises redes.Error naming it. input_shape: the "
      "per-sample shape when the file's is symbolic; task: 'binary', 'multiclass' or "
      "'regression' (default: from the last node). The model predicts, trains further (fit) "
      "and saves like any other.");

  m.def(
      "read_npy",
      [](const py::object& path) -> py::array {
        const std::string p = path_arg(path);
        const redes::NpyArray a = without_gil([&] { return redes::read_npy(p); });
        const auto& dims = a.shape.dims();
        const std::vector<py::ssize_t> shape(dims.begin(), dims.end());
        if (a.type == redes::NpyArray::Type::uint8) {
          py::array_t<uint8_t> u(shape);
          std::copy(a.bytes.begin(), a.bytes.end(), u.mutable_data());
          return u;
        }
        py::array_t<float> f(shape);
        std::copy(a.floats.begin(), a.floats.end(), f.mutable_data());
        return f;
      },
      py::arg("path"),
      "Reads a .npy file as redes does (float32, float64, uint8, int32, int64; C order). Returns "
      "uint8 arrays as uint8, every other type as float32.");

  m.def(
      "write_npy",
      [](const py::object& path, const py::object& array) {
        const std::string p = path_arg(path);
        const Tensor t = float_tensor(
            real_array(array, "redes.write_npy", "an array of numbers (written as float32)"));
        without_gil([&] { redes::write_npy(p, t.view()); });
      },
      py::arg("path"), py::arg("array"),
      "Writes an array of numbers as a float32 .npy file (what numpy.save writes for it).");

  m.def(
      "set_num_threads", [](int n) { redes::set_num_threads(n); }, py::arg("n"),
      "The number of threads training and predicting use, in every Python thread (0: all "
      "cores; a training run sets its config's).");
  m.def(
      "num_threads",
      [] {
        redes::use_chosen_num_threads();
        return redes::num_threads();
      },
      "The number of threads training and predicting use.");

  py::class_<Model, std::shared_ptr<Model>>(
      m, "Model",
      "A trained network with its preprocessing (redes.load). Predicting from several threads at "
      "once is safe; the calls release the GIL.")
      .def_property_readonly(
          "input_shape", [](const Model& self) { return shape_tuple(self.input_shape()); },
          "The shape of one sample predict() takes.")
      .def_property_readonly(
          "output_shape", [](const Model& self) { return shape_tuple(self.output_shape()); },
          "The shape of one sample's prediction.")
      .def_property_readonly(
          "classes",
          [](const Model& self) -> py::object {
            const auto c = self.classes();
            if (c.empty()) return py::none();
            py::list l;
            for (const auto& name : c) l.append(text(name));
            return l;
          },
          "The class names (a word model's tokens), or None.")
      .def_property_readonly(
          "task", [](const Model& self) { return std::string(redes::name(self.task())); },
          "binary, multiclass, regression, forecast or language_model.")
      .def_property_readonly(
          "kind", [](const Model& self) { return std::string(redes::name(self.kind())); },
          "The kind of data it was trained on: table, images, series or text.")
      .def(
          "summary", [](const Model& self) { return text(self.summary()); },
          "One line per layer (name, kind, output shape, parameters) and the total.")
      .def(
          "save",
          [](const Model& self, const py::object& path) {
            const std::string p = path_arg(path);
            without_gil([&] { self.save(p); });
          },
          py::arg("path"), "Writes the model file (atomically).")
      .def(
          "export_onnx",
          [](const Model& self, const py::object& path, int opset) {
            const std::string p = path_arg(path);
            const redes::OnnxSummary s =
                without_gil([&] { return redes::export_onnx(self, p, opset); });
            py::dict d;
            d["input"] = s.input, d["output"] = s.output;
            d["nodes"] = s.nodes, d["initializers"] = s.initializers;
            return d;
          },
          py::arg("path"), py::arg("opset") = redes::kOnnxOpsetDefault,
          "Writes the model as an ONNX file (as `redes export`): it takes what predict takes "
          "and returns what predict returns. Returns a dict: 'input' and 'output' (what they "
          "are, in words), 'nodes', 'initializers'.")
      .def("__repr__", &repr)
      .def(
          "predict",
          [](const Model& self, const py::object& x) { return to_numpy(predict(self, x)); },
          py::arg("x"),
          "x is (N, *input_shape): a table model's network inputs, an image model's pixels "
          "(uint8 0..255, or floats in [0, 1]), a forecaster's last rows, a word model's token "
          "ids. Returns float32 (N, *output_shape): class probabilities for classifiers "
          "(binary: P(class 1)), values for regression and forecasts.")
      .def(
          "predict_classes",
          [](const Model& self, const py::object& x) {
            if (!redes::is_classifier(self.task()))
              throw redes::Error("Model.predict_classes needs a classifier; this is a " +
                                 std::string(redes::name(self.task())) +
                                 " model: use Model.predict");
            return classes_of(self.task(), predict(self, x));
          },
          py::arg("x"),
          "The class index of each sample (int64, (N,)): the most probable class (binary: "
          "P(class 1) >= 0.5). Model.classes names them.")
      .def(
          "predict_table",
          [](const Model& self, const py::object& path, bool return_rows) -> py::object {
            const std::string p = path_arg(path);
            std::vector<int64_t> rows;
            const Tensor predictions = without_gil([&] { return self.predict_table(p, &rows); });
            if (!return_rows) return to_numpy(predictions);
            return py::make_tuple(to_numpy(predictions), to_numpy(rows));
          },
          py::arg("path"), py::arg("return_rows") = false,
          "Applies the model's preprocessing to a CSV or JSON table with the feature columns and "
          "predicts every row that can be encoded (rows with a missing value are left out). "
          "return_rows=True also returns the 0-based table row of each prediction.")
      .def(
          "forecast",
          [](const Model& self, const py::object& data_path, int64_t steps) {
            const std::string p = path_arg(data_path);
            if (steps < 1) throw redes::Error("Model.forecast: steps must be at least 1");
            const redes::Forecast f = without_gil([&] { return self.forecast(p, steps); });
            py::list times;
            for (const auto& t : f.times) times.append(text(t));
            py::array_t<double> values(static_cast<py::ssize_t>(f.values.size()));
            std::copy(f.values.begin(), f.values.end(), values.mutable_data());
            py::dict d;
            d["times"] = times;
            d["values"] = values;
            d["time_column"] = text(f.time_column);
            d["value_column"] = text(f.value_column);
            return d;
          },
          py::arg("data_path"), py::arg("steps") = 12,
          "Forecasters: `steps` values after the last row of the series in data_path (CSV or "
          "JSON with the columns the model was trained on). Returns dict(times=[...], "
          "values=float64 array, time_column, value_column).")
      .def(
          "sample",
          [](const Model& self, int64_t count, double temperature, uint64_t seed) {
            if (count < 0) throw redes::Error("Model.sample: count must not be negative");
            if (!(temperature >= 0) || !std::isfinite(temperature))
              throw redes::Error("Model.sample: temperature must be 0 or more (and finite)");
            const std::vector<std::string> words =
                without_gil([&] { return self.sample(count, temperature, seed); });
            py::list l;
            for (const auto& w : words) l.append(text(w));
            return l;
          },
          py::arg("count") = 20, py::arg("temperature") = 0.8, py::arg("seed") = 1,
          "Word models: `count` new words drawn at the temperature (0: the most likely "
          "character at each step).")
      .def(
          "evaluate_config",
          [](const Model& self, const py::object& config) {
            const std::string p = path_arg(config);
            const redes::Metrics metrics = without_gil(
                [&] { return redes::evaluate_model_on_config(self, redes::load_config(p)); });
            return metrics_dict(metrics);
          },
          py::arg("config"),
          "Loss and metrics on the test split of a config's data (the run folder's config.toml), "
          "as the run reported them: a dict like summary['test'].")
      .def(
          "evaluate_table",
          [](const Model& self, const py::object& path) {
            const std::string p = path_arg(path);
            const redes::Metrics metrics =
                without_gil([&] { return redes::evaluate_model(self, p); });
            return metrics_dict(metrics);
          },
          py::arg("path"),
          "Loss and metrics on a table (CSV or JSON) that has the target column (table models).");
}
