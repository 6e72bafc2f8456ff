// ONNX export (redes/onnx.hpp), checked by an independent runtime: every exported model passes
// onnx::checker with shape inference in strict mode, and OpenCV's dnn (cv::dnn::readNetFromONNX)
// computes on it what Model::predict computes, to 1e-4.
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/dnn.hpp>

#include "redes/onnx.hpp"

using namespace redes;
namespace fs = std::filesystem;

namespace {

fs::path temp_file(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "redes-onnx-test";
  fs::create_directories(dir);
  return dir / name;
}

// onnx.checker.check_model(full_check=True): the checker, then strict shape inference.
void check_onnx(const fs::path& path) {
  onnx::checker::check_model(path.string());
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(m.ParseFromIstream(&in));
  onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(),
                                     onnx::ShapeInferenceOptions(true, 1));
}

// OpenCV's outputs for x (N, input...) on the exported file.
Tensor opencv_outputs(const fs::path& path, const Tensor& x) {
  cv::dnn::Net net = cv::dnn::readNetFromONNX(path.string());
  std::vector<int> dims;
  for (int64_t d : x.shape().dims()) dims.push_back(static_cast<int>(d));
  cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F, const_cast<float*>(x.data()));
  net.setInput(blob, "input");
  const cv::Mat out = net.forward("output");
  std::vector<int64_t> out_dims;
  for (int k = 0; k < out.dims; ++k) out_dims.push_back(out.size[k]);
  Tensor y{Shape(out_dims)};
  std::memcpy(y.data(), out.ptr<float>(), sizeof(float) * y.numel());
  return y;
}

Tensor uniform(Shape shape, uint64_t seed, float lo = 0.0f, float hi = 1.0f) {
  Tensor t(std::move(shape));
  Rng rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = lo + (hi - lo) * float(rng.uniform());
  return t;
}

// Exports m, checks the file and compares OpenCV's outputs with predict's on x.
void expect_runs_the_same(const Model& m, const std::string& name, const Tensor& x,
                          int opset = kOnnxOpsetDefault) {
  const fs::path path = temp_file(name + ".onnx");
  export_onnx(m, path.string(), opset);
  check_onnx(path);
  const Tensor want = m.predict(x.view());
  const Tensor got = opencv_outputs(path, x);
  ASSERT_EQ(got.numel(), want.numel())
      << name << ": " << got.shape().str() << " vs " << want.shape().str();
  for (int64_t i = 0; i < want.numel(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-4 * std::max(1.0f, std::abs(want[i]))) << name << " at " << i;
}

// Whether OpenCV computes an ONNX backend test case of libonnx-testdata right (its first data
// set): where it does not, a difference on the same operator is OpenCV's, not the export's.
bool opencv_passes_onnx_case(const std::string& name) {
  const fs::path dir = fs::path("/usr/share/libonnx-testdata/data/node") / name;
  const auto tensor = [](const fs::path& p) {
    onnx::TensorProto t;
    std::ifstream in(p, std::ios::binary);
    EXPECT_TRUE(t.ParseFromIstream(&in)) << p;
    return t;
  };
  const onnx::TensorProto x = tensor(dir / "test_data_set_0/input_0.pb");
  const onnx::TensorProto y = tensor(dir / "test_data_set_0/output_0.pb");
  std::vector<int> dims(x.dims().begin(), x.dims().end());
  cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F,
               const_cast<char*>(x.raw_data().data()));
  cv::dnn::Net net = cv::dnn::readNetFromONNX((dir / "model.onnx").string());
  net.setInput(blob);
  const cv::Mat out = net.forward();
  const auto* want = reinterpret_cast<const float*>(y.raw_data().data());
  const size_t n = y.raw_data().size() / 4;
  if (out.total() != n) return false;
  for (size_t i = 0; i < n; ++i)
    if (std::abs(out.ptr<float>()[i] - want[i]) > 1e-4f * std::max(1.0f, std::abs(want[i])))
      return false;
  return true;
}

// Running statistics that are not the initial 0 and 1, so that BatchNormalization is tested.
void perturb_buffers(Model& m, uint64_t seed) {
  Rng rng(seed);
  for (const auto& p : m.graph->state())
    if (p.param->grad == nullptr && p.name.ends_with("running_var"))
      for (int64_t i = 0; i < p.param->numel(); ++i)
        p.param->value[i] = 0.5f + float(rng.uniform());
    else if (p.param->grad == nullptr)
      for (int64_t i = 0; i < p.param->numel(); ++i) p.param->value[i] = float(rng.normal()) * 0.3f;
}

}  // namespace

TEST(OnnxExport, DenseClassifierWithDropoutRunsTheSameInOpenCV) {
  const Model m = Model::build(
      Task::binary, Shape{7},
      {layer("linear", {{"units", 16}}), layer("relu"), layer("dropout", {{"rate", 0.3}}),
       layer("linear", {{"units", 8}}), layer("leaky_relu", {{"negative_slope", 0.1}}),
       layer("linear", {{"units", 1}})},
      3);
  expect_runs_the_same(m, "dense", uniform(Shape{5, 7}, 1, -2, 2));
}

TEST(OnnxExport, EveryOpsetWritesTheSameNetwork) {
  const Model m = Model::build(Task::multiclass, Shape{6},
                               {layer("linear", {{"units", 8}}), layer("tanh"),
                                layer("dropout", {{"rate", 0.2}}), layer("linear", {{"units", 4}})},
                               2, 4);
  for (int opset = kOnnxOpsetMin; opset <= kOnnxOpsetMax; ++opset)
    expect_runs_the_same(m, "opset" + std::to_string(opset), uniform(Shape{3, 6}, 4, -1, 1), opset);
  EXPECT_THROW(export_onnx(m, temp_file("bad.onnx").string(), 10), Error);
}

// Each image layer on its own (before a flatten and a linear head), then all together.
TEST(OnnxExport, ImageLayersRunTheSameInOpenCV) {
  const std::vector<std::pair<std::string, std::vector<LayerSpec>>> cases = {
      {"conv_same", {layer("conv2d", {{"filters", 6}, {"kernel", 3}, {"padding", "same"}})}},
      {"conv_strided",
       {layer("conv2d", {{"filters", 4}, {"kernel", {3, 2}}, {"stride", 2}, {"padding", 1}})}},
      {"conv_dilated", {layer("conv2d", {{"filters", 3}, {"kernel", 3}, {"dilation", 2}})}},
      {"batchnorm", {layer("batchnorm2d")}},
      {"lrn",
       {layer("local_response_norm", {{"size", 3}, {"alpha", 0.01}, {"beta", 0.75}, {"k", 2.0}})}},
      {"max_pool", {layer("max_pool2d", {{"kernel", 2}})}},
      {"max_pool_padded", {layer("max_pool2d", {{"kernel", 3}, {"stride", 2}, {"padding", 1}})}},
      {"avg_pool", {layer("avg_pool2d", {{"kernel", 2}})}},
      {"all",
       {layer("conv2d", {{"filters", 6}, {"kernel", 3}, {"padding", "same"}}), layer("batchnorm2d"),
        layer("relu"),
        layer("local_response_norm", {{"size", 3}, {"alpha", 0.01}, {"beta", 0.75}, {"k", 2.0}}),
        layer("max_pool2d", {{"kernel", 2}}),
        layer("conv2d", {{"filters", 4}, {"kernel", {3, 2}}, {"stride", 2}, {"padding", 1}}),
        layer("sigmoid"), layer("avg_pool2d", {{"kernel", 2}, {"stride", 1}})}},
  };
  for (const auto& [name, body] : cases) {
    std::vector<LayerSpec> layers = body;
    layers.push_back(layer("flatten"));
    layers.push_back(layer("linear", {{"units", 5}}));
    Model m = Model::build(Task::multiclass, Shape{3, 12, 12}, layers, 5, 5);
    perturb_buffers(m, 8);
    expect_runs_the_same(m, name, uniform(Shape{2, 3, 12, 12}, 6));
  }
}

// Average pooling over padding divides by the whole window (count_include_pad = 1), as PyTorch.
TEST(OnnxExport, AveragePoolingOverPaddingRunsTheSameInOpenCV) {
  if (!opencv_passes_onnx_case("test_averagepool_2d_pads_count_include_pad"))
    GTEST_SKIP() << "this OpenCV fails the ONNX project's own "
                    "test_averagepool_2d_pads_count_include_pad: it cannot judge the export";
  const Model m = Model::build(Task::multiclass, Shape{3, 12, 12},
                               {layer("avg_pool2d", {{"kernel", 2}, {"stride", 1}, {"padding", 1}}),
                                layer("flatten"), layer("linear", {{"units", 5}})},
                               5, 5);
  expect_runs_the_same(m, "avg_pool_padded", uniform(Shape{2, 3, 12, 12}, 6));
}

TEST(OnnxExport, BranchesGroupsAndGlobalPoolingRunTheSameInOpenCV) {
  const Model m = Model::build(
      Task::regression, Shape{4, 8, 8},
      {layer("conv2d", {{"filters", 4}, {"kernel", 3}, {"padding", 1}}, "a"),
       layer("conv2d", {{"filters", 4}, {"kernel", 3}, {"padding", 1}, {"groups", 2}}, "b"),
       layer("add", {}, "sum", {"a", "b"}), layer("concat", {}, "cat", {"sum", "a"}), layer("gelu"),
       layer("global_avg_pool2d"), layer("linear", {{"units", 1}})},
      7);
  expect_runs_the_same(m, "branches", uniform(Shape{3, 4, 8, 8}, 9, -1, 1));
}

TEST(OnnxExport, ImageNormalisationIsPartOfTheGraph) {
  Model m = Model::build(Task::multiclass, Shape{1, 6, 6},
                         {layer("flatten"), layer("linear", {{"units", 3}})}, 1, 3);
  m.meta["kind"] = "images";
  m.meta["data"] = {{"kind", "images"}, {"mean", {0.3}}, {"std", {0.2}}};
  const fs::path path = temp_file("images.onnx");
  const OnnxSummary s = export_onnx(m, path.string());
  EXPECT_EQ(s.input, "input 'input' (N, 1, 6, 6): pixels in [0, 1]");
  EXPECT_EQ(s.output, "output 'output' (N, 3): class probabilities");
  expect_runs_the_same(m, "images", uniform(Shape{4, 1, 6, 6}, 2));
}

// A table model's ONNX input is the feature values (the categorical ones one-hot), which the
// graph standardises as the model's preprocessing does.
TEST(OnnxExport, TableStandardisationIsPartOfTheGraph) {
  Model m = Model::build(
      Task::binary, Shape{4},
      {layer("linear", {{"units", 6}}), layer("relu"), layer("linear", {{"units", 1}})}, 4);
  Preprocessor::Column weight{"weight", false, 2970.0, 847.0, 0, {}};
  Preprocessor::Column year{"year", false, 76.0, 3.7, 0, {}};
  Preprocessor::Column origin{"origin", true, 0, 1, 0, {"Europe", "Japan"}};
  m.prep.columns = {weight, origin, year};
  m.prep.classes = {"0", "1"};
  const fs::path path = temp_file("table.onnx");
  const OnnxSummary s = export_onnx(m, path.string());
  EXPECT_EQ(s.input,
            "input 'input' (N, 4): the feature values, categorical ones one-hot (weight, "
            "origin=Europe, origin=Japan, year)");
  check_onnx(path);
  const Tensor raw(Shape{2, 4}, std::vector<float>{3504, 1, 0, 70, 1835, 0, 1, 82});
  Tensor z(raw.shape());
  for (int64_t r = 0; r < 2; ++r) {
    z[r * 4 + 0] = float((raw[r * 4 + 0] - 2970.0) / 847.0);
    z[r * 4 + 1] = raw[r * 4 + 1], z[r * 4 + 2] = raw[r * 4 + 2];
    z[r * 4 + 3] = float((raw[r * 4 + 3] - 76.0) / 3.7);
  }
  const Tensor want = m.predict(z.view()), got = opencv_outputs(path, raw);
  ASSERT_EQ(got.numel(), 2);
  for (int64_t i = 0; i < 2; ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
}

TEST(OnnxExport, ALayerOnnxCannotStateIsAnErrorNamingIt) {
  const Model m = Model::build(Task::multiclass, Shape{4, 5, 5},
                               {layer("local_response_norm", {{"size", 2}}, "lrn"),
                                layer("flatten"), layer("linear", {{"units", 2}})},
                               1, 2);
  try {
    export_onnx(m, temp_file("lrn.onnx").string());
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'lrn' (local_response_norm): an even size (2)"),
              std::string::npos)
        << e.what();
  }
}
