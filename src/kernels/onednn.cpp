#include "kernels/onednn.hpp"

#include "kernels/kernel_table.hpp"

namespace redes {

const dnnl::engine& onednn::engine() {
  static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

bool onednn::tier_ready() {
  static const bool ready = [] {
    const Isa isa = kernels().isa;
    if (isa == Isa::scalar) return false;
    const auto want = isa == Isa::avx512 ? dnnl::cpu_isa::avx512_core : dnnl::cpu_isa::avx2;
    try {
      dnnl::set_max_cpu_isa(want);
    } catch (const dnnl::error&) {  // oneDNN ran before: it keeps the cap it had
    }
    return dnnl::get_effective_cpu_isa() == want;
  }();
  return ready;
}

}  // namespace redes
