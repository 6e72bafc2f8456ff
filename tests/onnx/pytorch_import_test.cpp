// PyTorch to redes: models that torch.onnx.export wrote (tools/onnx_models.py, PyTorch 1.13,
// opset 13, dynamic batch), imported and run on the inputs PyTorch ran, match PyTorch's outputs
// to 1e-4 relative. The fixtures are in tests/onnx/fixtures/.
#include <gtest/gtest.h>

#include <filesystem>

#include "redes/npy.hpp"
#include "redes/onnx.hpp"

using namespace redes;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(REDES_SOURCE_DIR) / "tests" / "onnx" / "fixtures";

// Imports name.onnx and checks its outputs on name_input.npy against name_output.npy.
// batch_axis: where the input has its batch (the imported model takes it first).
Model expect_matches_pytorch(const std::string& name, int64_t batch_axis = 0) {
  OnnxImportOptions o;
  o.input_batch_axis = batch_axis;
  Model m = import_onnx((kFixtures / (name + ".onnx")).string(), o);
  NpyArray x = read_npy((kFixtures / (name + "_input.npy")).string());
  if (batch_axis == 1) {  // (T, N, F) -> (N, T, F)
    const int64_t T = x.shape[0], N = x.shape[1], F = x.shape[2];
    std::vector<float> moved(x.floats.size());
    for (int64_t t = 0; t < T; ++t)
      for (int64_t n = 0; n < N; ++n)
        for (int64_t f = 0; f < F; ++f)
          moved[size_t((n * T + t) * F + f)] = x.floats[size_t((t * N + n) * F + f)];
    x.floats = moved;
    x.shape = Shape{N, T, F};
  }
  const NpyArray want = read_npy((kFixtures / (name + "_output.npy")).string());
  const Tensor got = m.outputs(TensorView<const float>(x.floats.data(), x.shape));
  EXPECT_EQ(got.shape(), want.shape) << name;
  double worst = 0;
  for (int64_t i = 0; i < std::min<int64_t>(got.numel(), want.size()); ++i) {
    const double w = want.floats[size_t(i)], err = std::abs(got[i] - w);
    worst = std::max(worst, err / std::max(1.0, std::abs(w)));
    EXPECT_LE(err, 1e-4 * std::max(1.0, std::abs(w))) << name << " at " << i;
  }
  std::printf("%s: %lld outputs, largest relative difference %.2g\n", name.c_str(),
              static_cast<long long>(got.numel()), worst);
  return m;
}

std::vector<std::string> kinds_of(const Model& m) {
  std::vector<std::string> kinds;
  for (const auto& s : m.graph->specs()) kinds.push_back(s.kind);
  return kinds;
}

using Kinds = std::vector<std::string>;

}  // namespace

TEST(PyTorchImport, LeNet5) {
  const Model m = expect_matches_pytorch("lenet5");
  // x.view(x.size(0), -1) (Shape, Gather, Unsqueeze, Concat, Reshape) folds into a flatten.
  EXPECT_EQ(kinds_of(m), (Kinds{"conv2d", "relu", "max_pool2d", "conv2d", "relu", "max_pool2d",
                                "reshape", "linear", "relu", "linear", "relu", "linear"}));
  EXPECT_EQ(m.graph->num_params(), 61706);
}

// An imported network trains further: every layer import makes has a backward pass.
TEST(PyTorchImport, LeNet5TrainsFurther) {
  OnnxImportOptions options;
  options.task = "multiclass";  // the file ends in logits
  Model m = import_onnx((kFixtures / "lenet5.onnx").string(), options);
  ASSERT_EQ(m.task(), Task::multiclass);
  // 64 images of two kinds (bright top half: class 3, bright bottom half: class 7).
  Tensor x(Shape{64, 1, 28, 28}), y(Shape{64});
  for (int64_t i = 0; i < 64; ++i) {
    y[i] = i % 2 ? 7.0f : 3.0f;
    for (int64_t p = 0; p < 28 * 28; ++p)
      x[i * 784 + p] = ((p < 392) == (i % 2 == 0)) ? 0.9f : 0.1f;
  }
  FitOptions o;
  o.train.epochs = 5;
  o.train.batch_size = 16;
  o.optimizer.lr = 1e-3;
  const auto logs = m.fit(x.view(), y.view(), o);
  EXPECT_LT(logs.back().train.loss, 0.5 * logs.front().train.loss);
}

TEST(PyTorchImport, FashionConvnetWithDropout) {
  const Model m = expect_matches_pytorch("convnet");
  const Kinds k = kinds_of(m);
  EXPECT_EQ(std::count(k.begin(), k.end(), "dropout"), 0)  // PyTorch's eval export drops them
      << "dropout layers";
}

TEST(PyTorchImport, BatchNormResidualAdditionsAndGELU) {
  const Model m = expect_matches_pytorch("residual");
  const Kinds k = kinds_of(m);
  EXPECT_EQ(std::count(k.begin(), k.end(), "add"), 2);
  EXPECT_EQ(std::count(k.begin(), k.end(), "gelu"), 1);  // from Div, Erf, Add, Mul, Mul
}

TEST(PyTorchImport, LSTMClassifier) {
  const Model m = expect_matches_pytorch("lstm_classifier");
  EXPECT_EQ(kinds_of(m).front(), "lstm");
}

TEST(PyTorchImport, BidirectionalGRU) {
  const Model m = expect_matches_pytorch("bigru");
  EXPECT_EQ(kinds_of(m).front(), "gru");
  EXPECT_TRUE(m.graph->specs().front().attrs.at("bidirectional").get<bool>());
}

TEST(PyTorchImport, TimeMajorLSTMWithTheBatchOnAxis1) {
  const Model m = expect_matches_pytorch("lstm_time_major", 1);
  EXPECT_EQ(m.input_shape(), (Shape{5, 8}));
  EXPECT_THROW(import_onnx((kFixtures / "lstm_time_major.onnx").string()), OnnxUnsupported);
}

TEST(PyTorchImport, EmbeddingAndTwoLayerLSTMLanguageModel) {
  const Model m = expect_matches_pytorch("word_model");
  const Kinds k = kinds_of(m);
  EXPECT_EQ(k.front(), "embedding");
  EXPECT_EQ(std::count(k.begin(), k.end(), "lstm"), 2);
}
