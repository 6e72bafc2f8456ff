// What redes' two uses of oneDNN share (onednn_conv.cpp, onednn_matmul.cpp): the CPU engine and
// oneDNN held to redes' active tier.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace redes::onednn {

const dnnl::engine& engine();
// oneDNN held to redes' active tier (redes/isa.hpp), once, before its first primitive (it takes
// the cap only then): its AVX-512 kernels in the AVX-512 tier, its AVX2 ones in the AVX2 tier.
// False in the scalar tier, and where oneDNN would run another tier than redes.
bool tier_ready();

}  // namespace redes::onednn
