// What the kernel tests of the convolutions share: a convolution case in one line of numbers,
// its geometry, and random floats in [-1, 1).
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/im2col.hpp"
#include "redes/rng.hpp"

namespace redes::test {

struct ConvCase {
  int64_t N, C, H, W, OC, KH, KW, sh, sw, pt, pb, pl, pr, dh, dw, groups;
};

inline Conv2dGeometry geometry(const ConvCase& c) {
  Conv2dGeometry g;
  g.channels = c.C;
  g.height = c.H;
  g.width = c.W;
  g.kernel_h = c.KH;
  g.kernel_w = c.KW;
  g.stride_h = c.sh;
  g.stride_w = c.sw;
  g.pad_top = c.pt;
  g.pad_bottom = c.pb;
  g.pad_left = c.pl;
  g.pad_right = c.pr;
  g.dilation_h = c.dh;
  g.dilation_w = c.dw;
  return g;
}

inline std::vector<float> random_floats(int64_t n, Rng& rng) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.uniform(-1, 1));
  return v;
}

}  // namespace redes::test
