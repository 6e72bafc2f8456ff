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

#include "recurrent_cases.hpp"
#include "redes/config.hpp"
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
  cv::Mat out;
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX((dir / "model.onnx").string());
    net.setInput(blob);
    out = net.forward();
  } catch (const cv::Exception&) {  // a form it does not read
    return false;
  }
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

TEST(OnnxExport, ActivationsRunTheSameInOpenCV) {
  const std::vector<LayerSpec> activations = {
      layer("elu", {{"alpha", 0.7}}),
      layer("selu"),
      layer("softplus"),
      layer("softplus", {{"beta", 2.0}}),
      layer("softsign"),
      layer("hard_sigmoid"),
      layer("hard_sigmoid", {{"alpha", 0.2}, {"beta", 0.4}}),
      layer("hardtanh", {{"min", -0.5}, {"max", 2.0}}),
      layer("log_softmax"),
  };
  for (const auto& act : activations) {
    const Model m =
        Model::build(Task::regression, Shape{6},
                     {layer("linear", {{"units", 8}}), act, layer("linear", {{"units", 1}})}, 4);
    const std::string name = act.kind + act.attrs.dump();
    // hardtanh is Clip, whose bounds are inputs from opset 11, a form OpenCV 4.6 does not read.
    if (act.kind == "hardtanh" && !opencv_passes_onnx_case("test_clip")) {
      const fs::path path = temp_file("hardtanh.onnx");
      export_onnx(m, path.string());
      check_onnx(path);
      std::printf("%s: checked only, this OpenCV fails the ONNX project's own test_clip\n",
                  name.c_str());
      continue;
    }
    expect_runs_the_same(m, name, uniform(Shape{5, 6}, 2, -3, 3));
  }
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

// The pooling options past PyTorch's defaults, each where OpenCV passes the ONNX project's own
// case of that option (else OpenCV cannot judge the export, and the reason is printed).
TEST(OnnxExport, PoolingOptionsRunTheSameInOpenCV) {
  struct Case {
    std::string name;
    LayerSpec pool;
    std::string onnx_case;
  };
  const std::vector<Case> cases = {
      {"max_pool_ceil", layer("max_pool2d", {{"kernel", 3}, {"stride", 2}, {"ceil_mode", true}}),
       "test_maxpool_2d_ceil"},
      {"max_pool_dilated", layer("max_pool2d", {{"kernel", 2}, {"stride", 1}, {"dilation", 2}}),
       "test_maxpool_2d_dilations"},
      {"max_pool_asymmetric", layer("max_pool2d", {{"kernel", 2}, {"padding", {0, 1, 1, 0}}}),
       "test_maxpool_2d_same_upper"},
      {"avg_pool_ceil", layer("avg_pool2d", {{"kernel", 3}, {"stride", 2}, {"ceil_mode", true}}),
       "test_averagepool_2d_ceil"},
      {"avg_pool_padding_excluded",
       layer("avg_pool2d",
             {{"kernel", 3}, {"stride", 2}, {"padding", 1}, {"count_include_pad", false}}),
       "test_averagepool_2d_precomputed_pads"},
  };
  for (const auto& c : cases) {
    if (!opencv_passes_onnx_case(c.onnx_case)) {
      std::printf("%s: skipped, this OpenCV fails the ONNX project's own %s\n", c.name.c_str(),
                  c.onnx_case.c_str());
      continue;
    }
    const Model m = Model::build(Task::multiclass, Shape{3, 12, 12},
                                 {c.pool, layer("flatten"), layer("linear", {{"units", 5}})}, 5, 5);
    expect_runs_the_same(m, c.name, uniform(Shape{2, 3, 12, 12}, 6));
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

// OpenCV 4.6 fixes a recurrent node's batch at 1 when the input's batch is dynamic, and parses
// a GRU only with an initial state given as a constant: the LSTMs run at batch 1, the GRUs are
// checked by onnx::checker (and by the importer's round trip in import_test.cpp).
TEST(OnnxExport, RecurrentLayersRunTheSameInOpenCV) {
  for (const auto& [name, layers] : recurrent_cases()) {
    const Model m = Model::build(Task::multiclass, Shape{6, 4}, layers, 3, 3);
    const fs::path path = temp_file(name + ".onnx");
    export_onnx(m, path.string());
    check_onnx(path);
    const Tensor x = uniform(Shape{1, 6, 4}, 5, -1, 1);
    Tensor got;
    try {
      got = opencv_outputs(path, x);
    } catch (const cv::Exception& e) {
      std::printf("%s: OpenCV 4.6 does not run this export (%s), checked by onnx::checker only\n",
                  name.c_str(), e.what());
      continue;
    }
    const Tensor want = m.predict(x.view());
    ASSERT_EQ(got.numel(), want.numel()) << name;
    for (int64_t i = 0; i < want.numel(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-4 * std::max(1.0f, std::abs(want[i]))) << name << " at " << i;
  }
}

// Every example config's network (untrained: its initial weights), exported and run by OpenCV
// on the samples it takes, and imported back. The recurrent ones run at batch 1 (OpenCV 4.6
// fixes a recurrent node's batch at 1).
TEST(OnnxExport, ExampleModelsRunTheSameInOpenCVAndComeBack) {
  struct Example {
    std::string config;
    Task task;
    Shape input;
    int64_t classes, batch;
  };
  const std::vector<Example> examples = {
      {"cars.toml", Task::binary, Shape{9}, 0, 4},  // 6 numbers and Origin one-hot
      {"cars-dropout.toml", Task::binary, Shape{9}, 0, 4},
      {"cars-overfit.toml", Task::binary, Shape{9}, 0, 4},
      {"cars-overfit-dropout.toml", Task::binary, Shape{9}, 0, 4},
      {"lenet5-fashion.toml", Task::multiclass, Shape{1, 28, 28}, 10, 3},
      {"convnet-fashion.toml", Task::multiclass, Shape{1, 28, 28}, 10, 2},
      {"convnet-fashion-small.toml", Task::multiclass, Shape{1, 28, 28}, 10, 2},
      {"convnet-fashion-small-augment.toml", Task::multiclass, Shape{1, 28, 28}, 10, 2},
      {"alexnet-cifar10.toml", Task::multiclass, Shape{3, 32, 32}, 10, 2},
      {"lstm-fashion-rows.toml", Task::multiclass, Shape{1, 28, 28}, 10, 1},
      {"lstm-co2.toml", Task::regression, Shape{24, 1}, 0, 1},  // a forecaster's network
  };
  for (const auto& e : examples) {
    const Config cfg = load_config(std::string(REDES_SOURCE_DIR) + "/examples/" + e.config);
    const Model m = Model::build(e.task, e.input, cfg.layers, 7, e.classes);
    const Tensor x = uniform(e.input.batched(e.batch), 3);
    expect_runs_the_same(m, e.config, x);
    const fs::path path = temp_file(e.config + ".onnx");
    const Model back = import_onnx(path.string());
    const Tensor want = m.predict(x.view()), got = back.predict(x.view());
    ASSERT_EQ(got.numel(), want.numel()) << e.config;
    for (int64_t i = 0; i < want.numel(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::abs(want[i]))) << e.config;
  }
  // The word model (an embedding and a masked LSTM, which OpenCV cannot run): checked and imported.
  const Config cfg = load_config(std::string(REDES_SOURCE_DIR) + "/examples/lstm-words.toml");
  Model m;  // a language model's network, as the run builds it (Model::build makes classifiers)
  m.graph = std::make_unique<Graph>(cfg.layers, Shape{17});
  Rng rng(7);
  m.graph->init(rng);
  m.meta = {{"task", "regression"}, {"kind", "table"}};
  Tensor ids(Shape{2, 17});
  for (int64_t t = 0; t < 9; ++t) ids[t] = float(1 + t * 3 % 28);  // <s> and 8 letters, padding
  for (int64_t t = 0; t < 17; ++t) ids[17 + t] = float(1 + (t * 5) % 28);
  const fs::path path = temp_file("lstm-words.onnx");
  export_onnx(m, path.string());
  check_onnx(path);
  const Tensor want = m.outputs(ids.view()), got = import_onnx(path.string()).outputs(ids.view());
  ASSERT_EQ(got.numel(), want.numel());
  for (int64_t i = 0; i < want.numel(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
}

// An embedding is a Gather by the model's ids, which OpenCV 4.6 reads only with constant
// indices, and it fails on the mask's Equal of a batch: the checker judges them, and a masked
// LSTM's sequence_lens (import_test.cpp's round trip computes them).
TEST(OnnxExport, EmbeddingsAndMasksPassTheChecker) {
  const Model m = Model::build(Task::multiclass, Shape{5},
                               {layer("embedding", {{"vocab", 7}, {"dim", 4}}), layer("flatten"),
                                layer("linear", {{"units", 3}})},
                               2, 3);
  const fs::path path = temp_file("embedding.onnx");
  export_onnx(m, path.string());
  check_onnx(path);
  const Model masked =
      Model::build(Task::regression, Shape{5},
                   {layer("mask", {{"pad", 0}}), layer("linear", {{"units", 1}})}, 2);
  export_onnx(masked, path.string());
  check_onnx(path);
  // A masked LSTM: the mask's lengths are the node's sequence_lens.
  const Model words = Model::build(
      Task::regression, Shape{5},
      {layer("embedding", {{"vocab", 7}, {"dim", 3}}, "e"), layer("mask", {}, "m", {"input"}),
       layer("lstm", {{"units", 4}, {"masked", true}, {"layers", 2}}, "rnn", {"e", "m"}),
       layer("linear", {{"units", 1}})},
      2);
  for (int opset : {11, 13, 17}) {
    export_onnx(words, path.string(), opset);
    check_onnx(path);
  }
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
