// GEMM on the shapes the example models multiply, through redes::gemm (src/kernels/gemm.hpp).
//
// Each entry is one product of a layer: a dense layer's forward, its weight gradient and its
// input gradient, or a convolution's im2col GEMMs per image. The transpose flags are the ones
// the layer passes (src/layers/linear.cpp: y = x W^T, dW += dy^T x, dx += dy W), so the
// benchmark sees the same memory layout as training.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/gemm.hpp"
#include "peak.hpp"
#include "redes/rng.hpp"

namespace redes::bench {
namespace {

struct GemmShape {
  std::string model, what;
  bool trans_a, trans_b;
  int64_t M, N, K;  // op(A) is (M, K), op(B) is (K, N), C is (M, N)
};

// A dense layer F_in -> F_out at batch N: forward, weight gradient, input gradient.
void dense(std::vector<GemmShape>& v, const std::string& model, const std::string& name, int64_t n,
           int64_t fin, int64_t fout) {
  v.push_back({model, name + ".forward", false, true, n, fout, fin});
  v.push_back({model, name + ".grad_weight", true, false, fout, fin, n});
  v.push_back({model, name + ".grad_input", false, false, n, fin, fout});
}

// A convolution as im2col + GEMM per image: W (OC, CKK) x col (CKK, P) with P output pixels;
// the weight gradient dW (OC, CKK) += dy (OC, P) x col^T; the column gradient
// dcol (CKK, P) = W^T x dy.
void conv(std::vector<GemmShape>& v, const std::string& model, const std::string& name, int64_t oc,
          int64_t ckk, int64_t p) {
  v.push_back({model, name + ".forward", false, false, oc, p, ckk});
  v.push_back({model, name + ".grad_weight", false, true, oc, ckk, p});
  v.push_back({model, name + ".grad_input", true, false, ckk, p, oc});
}

std::vector<GemmShape> shapes() {
  std::vector<GemmShape> s;
  // cars MLP (examples/cars.toml): 9 features -> 16 -> 16 -> 1, batch 32; and the first layer
  // at inference, batch 256.
  dense(s, "cars", "hidden1", 32, 9, 16);
  dense(s, "cars", "hidden2", 32, 16, 16);
  dense(s, "cars", "output", 32, 16, 1);
  s.push_back({"cars", "hidden1.forward_b256", false, true, 256, 16, 9});
  // LeNet-5 on Fashion-MNIST, batch 64: conv 6@5x5 pad 2 on 28x28 (784 pixels),
  // conv 16@5x5 on 14x14 -> 10x10, dense 400 -> 120 -> 84 -> 10.
  conv(s, "lenet5", "conv1", 6, 25, 784);
  conv(s, "lenet5", "conv2", 16, 150, 100);
  dense(s, "lenet5", "dense1", 64, 400, 120);
  dense(s, "lenet5", "dense2", 64, 120, 84);
  dense(s, "lenet5", "dense3", 64, 84, 10);
  // The Fashion-MNIST convnet, batch 64: conv 32@5x5 same on 28x28, conv 64@5x5 same on
  // 14x14 (196 pixels), dense 3136 -> 1024 -> 10.
  conv(s, "convnet", "conv1", 32, 25, 784);
  conv(s, "convnet", "conv2", 64, 800, 196);
  dense(s, "convnet", "dense1", 64, 3136, 1024);
  dense(s, "convnet", "dense2", 64, 1024, 10);
  // Row-sequence LSTM(128), batch 128, 28 steps of 28 pixels, gates 4 x 128 = 512:
  // the input projection of all steps at once (N*T, 28) x (28, 512), the recurrent
  // product per step (128, 128) x (128, 512), and the classifier 128 -> 10.
  s.push_back({"lstm_rows", "input_proj.forward", false, true, 128 * 28, 512, 28});
  s.push_back({"lstm_rows", "input_proj.grad_weight", true, false, 512, 28, 128 * 28});
  s.push_back({"lstm_rows", "recurrent.forward", false, true, 128, 512, 128});
  s.push_back({"lstm_rows", "recurrent.grad_weight", true, false, 512, 128, 128});
  s.push_back({"lstm_rows", "recurrent.grad_input", false, false, 128, 128, 512});
  dense(s, "lstm_rows", "dense", 128, 128, 10);
  return s;
}

void fill(std::vector<float>& v, Rng& rng) {
  for (auto& x : v) x = static_cast<float>(rng.uniform(-1, 1));
}

void bm_gemm(benchmark::State& state, GemmShape s) {
  // Stored shapes: A is (M, K) or (K, M) when transposed; B is (K, N) or (N, K).
  const int64_t lda = s.trans_a ? s.M : s.K, ldb = s.trans_b ? s.K : s.N;
  std::vector<float> a(s.M * s.K), b(s.K * s.N), c(s.M * s.N);
  Rng rng(1);
  fill(a, rng);
  fill(b, rng);
  for (auto _ : state) {
    // beta = 1: the gradients accumulate, and the forward's bias pass reads C anyway.
    gemm<float>(s.trans_a, s.trans_b, s.M, s.N, s.K, 1.0f, a.data(), lda, b.data(), ldb, 1.0f,
                c.data(), s.N);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  report_flops(state, 2.0 * s.M * s.N * s.K);
  state.SetLabel(std::string(s.trans_a ? "A^T" : "A") + (s.trans_b ? " B^T" : " B") + " M=" +
                 std::to_string(s.M) + " N=" + std::to_string(s.N) + " K=" + std::to_string(s.K));
}

// Registers gemm/<model>/<layer>.<pass> for every shape.
const bool registered = add_registration([] {
  for (const auto& s : shapes()) {
    const std::string name = "gemm/" + s.model + "/" + s.what;
    auto* b = benchmark::RegisterBenchmark(name.c_str(), bm_gemm, s);
    if (use_real_time()) b->UseRealTime();
  }
});

}  // namespace
}  // namespace redes::bench
