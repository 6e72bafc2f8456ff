// col2im for float images with stride 1 (any dilation and padding), with AVX-512F. Same
// contract as redes::col2im (kernels/im2col.hpp): x (C, H, W) += the adjoint of im2col applied
// to col. Each piece of 16 pixels of an input row sums the entries of every kernel tap in a
// register (masked loads; the masks depend on the kernel column only and are computed once),
// then adds them to x with one load and one store: the portable loop instead adds row pieces
// of OW values one tap at a time, which costs more in loop overhead than in additions for
// LeNet's 10-pixel rows. The sum per pixel runs over the taps in the portable loop's order but
// adds x last, so the bits may differ from it where x was not zero.
// Only called where cpu_has_avx512f() said yes.
#pragma once
#include <cstdint>

#include "kernels/im2col.hpp"

namespace redes::x86 {

// Requires g.stride_h == 1 and g.stride_w == 1.
void col2im_s1_avx512(const Conv2dGeometry& g, const float* col, int64_t ldcol, float* x);

}  // namespace redes::x86
