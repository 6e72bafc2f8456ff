// A 2-d convolution's three passes through oneDNN (Debian's libdnnl, the library PyTorch runs
// its convolutions with on x86 CPUs), for the layers where it measured faster than redes' own
// kernels: Conv2d (layers/conv2d.hpp) decides which, where available() says oneDNN may run.
//
// Between layers the tensors stay in redes' plain layouts (x and y NCHW, the weights OIHW);
// inside, each pass reorders them into the blocked layouts oneDNN's vector kernels prefer
// (nChw16c and the like) and back, which costs a pass over memory and gains more
// (BENCHMARKS.md). The gradients are ADDED into dx, dW and db, as every layer's backward does:
// a reorder with oneDNN's "sum" post-op.
// oneDNN is held to the tier redes' kernels run (REDES_ISA, redes/isa.hpp): its AVX-512 kernels
// in the AVX-512 tier, its AVX2 ones in the AVX2 tier, none in the scalar tier, which keeps
// redes' reference code. It runs on the OpenMP threads redes runs on; for the same thread count
// its convolutions reduce in the same order, so a run gives the same bits again.
#pragma once
#include <cstdint>
#include <memory>

#include "kernels/im2col.hpp"

namespace redes {

class OnednnConv {
 public:
  // Whether oneDNN runs on the active tier (the AVX-512 and AVX2 tiers; the scalar tier never).
  // It serves float convolutions of one group, of any geometry.
  static bool available();

  OnednnConv(const Conv2dGeometry& g, int64_t filters, bool bias);
  ~OnednnConv();
  OnednnConv(const OnednnConv&) = delete;
  OnednnConv& operator=(const OnednnConv&) = delete;

  // y = w * x + b over N images (b null without bias). Keeps x's reordered copy for a backward
  // of the same x.
  void forward(int64_t N, const float* x, const float* w, const float* b, float* y);
  // dw += dL/dw, db += dL/db (when the layer has a bias), and dx += dL/dx unless dx is null.
  void backward(int64_t N, const float* x, const float* dy, const float* w, float* dw, float* db,
                float* dx);

 private:
  struct Shapes;
  struct Plan;            // the primitives and buffers of one batch size
  Plan& plan(int64_t N);  // with the forward
  void add_backward(Plan& p);

  Conv2dGeometry geom_;
  int64_t filters_;
  bool bias_;
  // The plans of the last two batch sizes seen, the latest first (training's and the last
  // batch's of an epoch, or training's and evaluation's).
  std::unique_ptr<Plan> plans_[2];
  // The input whose reordered copy the last forward kept (null: none), and its batch size.
  const float* kept_for_ = nullptr;
  int64_t kept_n_ = 0;
};

}  // namespace redes
