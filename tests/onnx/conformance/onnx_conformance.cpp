// onnx_conformance DIR [--by-operator]: the ONNX project's backend test cases (Debian's
// libonnx-testdata: DIR/<case>/model.onnx with test_data_set_*/input_*.pb and output_*.pb) run
// through redes' importer.
//
// The first graph input is the model's data; the others (weights the cases pass as inputs) are
// bound as initializers from the data set's files. Each case prints one line:
//   PASS test_conv_with_strides_padding
//   FAIL test_x: output 0 differs at 17: 0.25 against 0.5
//   UNSUPPORTED test_maxpool_3d_default: node 'y' (MaxPool): kernel_shape (2, 2, 2) (...)
// and the last line is "N passed, M failed, K unsupported". The exit code is 1 when a case fails.
// --by-operator prints, before that line, a Markdown table of the counts per operator: a case
// counts for the operator it is named after (test_averagepool_2d_pads: AveragePool, the longest
// of its graph's operators that its name starts with), else for the operators of its graph that
// compute (not Constant, Shape, Reshape and the like, which only shape and route values).
// Outputs match as the ONNX backend tests have them match: |got - want| <= 1e-7 + 1e-3 |want|.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/onnx.hpp"

namespace fs = std::filesystem;
using namespace redes;

namespace {

constexpr double kRtol = 1e-3, kAtol = 1e-7;

onnx::TensorProto read_tensor_file(const fs::path& p) {
  onnx::TensorProto t;
  const std::string bytes = read_file<DataError>(p.string(), uint64_t{1} << 30, "a tensor");
  if (!t.ParseFromString(bytes)) throw DataError(p.string() + ": not an ONNX TensorProto");
  return t;
}

// The floats of a float, double or integer tensor.
std::vector<float> values_of(const onnx::TensorProto& t, const std::string& what) {
  std::vector<float> v;
  const std::string& raw = t.raw_data();
  const auto from_raw = [&](auto sample) {
    using E = decltype(sample);
    for (size_t k = 0; k + sizeof(E) <= raw.size(); k += sizeof(E)) {
      E e;
      std::memcpy(&e, raw.data() + k, sizeof(E));
      v.push_back(static_cast<float>(e));
    }
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (t.has_raw_data())
        from_raw(float{});
      else
        v.assign(t.float_data().begin(), t.float_data().end());
      break;
    case onnx::TensorProto::DOUBLE:
      if (t.has_raw_data())
        from_raw(double{});
      else
        for (double d : t.double_data()) v.push_back(float(d));
      break;
    case onnx::TensorProto::INT64:
      if (t.has_raw_data())
        from_raw(int64_t{});
      else
        for (int64_t d : t.int64_data()) v.push_back(float(d));
      break;
    case onnx::TensorProto::INT32:
      if (t.has_raw_data())
        from_raw(int32_t{});
      else
        for (int32_t d : t.int32_data()) v.push_back(float(d));
      break;
    default:
      throw OnnxUnsupported(what + " has data type " + std::to_string(t.data_type()));
  }
  return v;
}

// values (dims) with axis b moved to the front, as (dims[b], the others...).
Tensor batch_first(const Shape& dims, const std::vector<float>& values, int64_t b) {
  if (b == 0) return Tensor(dims, values);
  const int64_t outer = [&] {
    int64_t o = 1;
    for (int64_t k = 0; k < b; ++k) o *= dims[k];
    return o;
  }();
  const int64_t n = dims[b], inner = dims.numel() / (outer * n);
  std::vector<int64_t> out_dims{n};
  for (int64_t k = 0; k < dims.rank(); ++k)
    if (k != b) out_dims.push_back(dims[k]);
  Tensor out{Shape(out_dims)};
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j)
        out[(i * outer + o) * inner + j] = values[size_t((o * n + i) * inner + j)];
  return out;
}

struct Outcome {
  enum { pass, fail, unsupported } kind;
  std::string why;
};

// One data set of a case.
Outcome run_set(const onnx::ModelProto& model, const fs::path& set, const std::string& name) {
  onnx::ModelProto m = model;
  onnx::GraphProto& g = *m.mutable_graph();
  std::set<std::string> initialized;
  for (const auto& t : g.initializer()) initialized.insert(t.name());
  // The graph's inputs without values, in order; input_k.pb are their values.
  std::vector<std::string> inputs;
  for (const auto& in : g.input()) {
    if (initialized.count(in.name())) continue;
    if (!in.type().has_tensor_type())
      return {Outcome::unsupported, "input '" + in.name() +
                                        "' is not a tensor (a sequence, an "
                                        "optional or a map)"};
    inputs.push_back(in.name());
  }
  if (inputs.empty()) return {Outcome::unsupported, "the graph has no input"};
  std::vector<onnx::TensorProto> given;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const fs::path p = set / ("input_" + std::to_string(k) + ".pb");
    if (!fs::exists(p)) {
      // An optional input left out (Dropout's ratio): it has no value.
      given.emplace_back();
      continue;
    }
    given.push_back(read_tensor_file(p));
  }
  for (size_t k = 1; k < inputs.size(); ++k) {
    if (given[k].dims_size() == 0 && given[k].data_type() == 0) continue;
    onnx::TensorProto* t = g.add_initializer();
    *t = given[k];
    t->set_name(inputs[k]);
  }
  // The data's shape as the file has it (a case's declared shape may be symbolic).
  const onnx::TensorProto& x = given[0];
  for (auto& in : *g.mutable_input()) {
    if (in.name() != inputs[0]) continue;
    auto* shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    for (int64_t d : x.dims()) shape->add_dim()->set_dim_value(d);
  }
  std::string bytes;
  m.SerializeToString(&bytes);
  OnnxImportOptions options;
  options.task = "regression";  // every node as it is, the last activation too
  Model imported;
  try {
    imported = import_onnx_bytes(bytes, name, options);
  } catch (const OnnxUnsupported& e) {
    // A recurrent case whose input is (T, N, F): the batch is its axis 1.
    if (std::string(e.what()).find("batch axis set to 1") == std::string::npos)
      return {Outcome::unsupported, e.what()};
    options.input_batch_axis = 1;
    try {
      imported = import_onnx_bytes(bytes, name, options);
    } catch (const OnnxUnsupported& e2) {
      return {Outcome::unsupported, e2.what()};
    }
  }
  std::vector<int64_t> dims(x.dims().begin(), x.dims().end());
  Tensor in = batch_first(Shape(dims), values_of(x, "input 0"), options.input_batch_axis);
  const Tensor out = imported.outputs(in.view());
  const onnx::TensorProto want_t = read_tensor_file(set / "output_0.pb");
  std::vector<float> want;
  try {
    want = values_of(want_t, "output 0");
  } catch (const OnnxUnsupported& e) {
    return {Outcome::unsupported, e.what()};
  }
  std::vector<int64_t> want_dims(want_t.dims().begin(), want_t.dims().end());
  // redes gives the output batch first; ONNX had its batch where the import recorded.
  const auto& from = imported.meta["imported_from"];
  if (from.contains("output_batch_axis")) {
    const Tensor moved =
        batch_first(Shape(want_dims), want, from["output_batch_axis"].get<int64_t>());
    want = moved.values();
    want_dims = moved.shape().dims();
  }
  if (out.shape() != Shape(want_dims) && out.numel() != int64_t(want.size()))
    return {Outcome::fail,
            "output 0 is " + out.shape().str() + ", expected " + Shape(want_dims).str()};
  if (out.shape().numel() != int64_t(want.size()))
    return {Outcome::fail, "output 0 has " + std::to_string(out.numel()) + " values, expected " +
                               std::to_string(want.size())};
  for (int64_t k = 0; k < out.numel(); ++k) {
    const double got = out[k], w = want[size_t(k)];
    const bool same = (std::isnan(got) && std::isnan(w)) || got == w ||
                      std::abs(got - w) <= kAtol + kRtol * std::abs(w);
    if (!same) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "output 0 differs at %lld: %.9g against %.9g",
                    static_cast<long long>(k), got, w);
      return {Outcome::fail, buf};
    }
  }
  return {Outcome::pass, ""};
}

Outcome run_case(const fs::path& dir, std::set<std::string>& ops) {
  const std::string name = dir.filename().string();
  onnx::ModelProto model;
  const std::string bytes =
      read_file<ModelFileError>((dir / "model.onnx").string(), uint64_t{1} << 30, "ONNX");
  if (!model.ParseFromString(bytes)) return {Outcome::fail, "model.onnx does not parse"};
  for (const auto& n : model.graph().node()) ops.insert(n.op_type());
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return {Outcome::unsupported, "no test_data_set_* folder"};
  for (const auto& set : sets) {
    Outcome o = run_set(model, set, name);
    if (o.kind != Outcome::pass) return o;
  }
  return {Outcome::pass, ""};
}

// The operators a case tests (see the top of this file).
std::set<std::string> tested_operators(const std::string& name, const std::set<std::string>& ops) {
  const auto lower = [](std::string t) {
    for (char& c : t) c = char(std::tolower(static_cast<unsigned char>(c)));
    return t;
  };
  const std::string n = lower(name.substr(name.rfind("test_", 0) == 0 ? 5 : 0));
  // The longest operator the name starts with: at a '_' (test_conv_with_strides: Conv, not
  // ConvInteger), else anywhere (PyTorch's test_Conv2d_groups: Conv).
  for (bool at_word : {true, false}) {
    std::string best;
    for (const auto& op : ops) {
      const std::string l = lower(op);
      const bool named =
          n.rfind(l, 0) == 0 && (!at_word || n.size() == l.size() || n[l.size()] == '_');
      if (named && l.size() > best.size()) best = op;
    }
    if (!best.empty()) return {best};
  }
  // Else the graph's operators, but those that only shape and route values when others compute.
  static const std::set<std::string> plumbing = {
      "Constant", "ConstantOfShape", "Shape",     "Gather",   "Unsqueeze", "Squeeze", "Concat",
      "Cast",     "Reshape",         "Transpose", "Identity", "Slice",     "Flatten"};
  std::set<std::string> computing;
  for (const auto& op : ops)
    if (!plumbing.count(op)) computing.insert(op);
  return computing.empty() ? ops : computing;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  bool by_operator = false;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "--by-operator")
      by_operator = true;
    else
      dir = a;
  }
  if (dir.empty() || !fs::is_directory(dir)) {
    std::fprintf(stderr, "usage: onnx_conformance DIR [--by-operator]\n");
    return 2;
  }
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(dir))
    if (fs::exists(e.path() / "model.onnx")) cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());
  int passed = 0, failed = 0, unsupported = 0;
  std::map<std::string, std::array<int, 3>> per_op;
  for (const auto& c : cases) {
    const std::string name = c.filename().string();
    std::set<std::string> ops;
    Outcome o;
    try {
      o = run_case(c, ops);
    } catch (const std::exception& e) {
      o = {Outcome::fail, e.what()};
    }
    switch (o.kind) {
      case Outcome::pass:
        ++passed;
        std::printf("PASS %s\n", name.c_str());
        break;
      case Outcome::fail:
        ++failed;
        std::printf("FAIL %s: %s\n", name.c_str(), o.why.c_str());
        break;
      case Outcome::unsupported:
        ++unsupported;
        std::printf("UNSUPPORTED %s: %s\n", name.c_str(), o.why.c_str());
        break;
    }
    for (const auto& op : tested_operators(name, ops)) ++per_op[op][o.kind];
  }
  if (by_operator) {
    std::printf("\n| operator | passed | failed | unsupported |\n| --- | --- | --- | --- |\n");
    for (const auto& [op, n] : per_op)
      std::printf("| %s | %d | %d | %d |\n", op.c_str(), n[0], n[1], n[2]);
    std::printf("\n");
  }
  std::printf("%d passed, %d failed, %d unsupported\n", passed, failed, unsupported);
  return failed ? 1 : 0;
}
