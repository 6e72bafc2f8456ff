#include "redes/isa.hpp"

#include <cstdlib>
#include <string>

#include "kernels/kernel_table.hpp"
#include "redes/error.hpp"

namespace redes {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return "avx512";
    case Isa::avx2:
      return "avx2";
    case Isa::scalar:
      break;
  }
  return "scalar";
}

Isa parse_isa(std::string_view name, std::string_view where) {
  for (Isa isa : {Isa::avx512, Isa::avx2, Isa::scalar})
    if (name == isa_name(isa)) return isa;
  throw ConfigError(std::string(where) + ": '" + std::string(name) +
                    "' is no instruction-set tier (avx512, avx2 or scalar)");
}

Isa cpu_isa() {
  static const Isa best = [] {
    // libgcc's answers include the OS's: a feature counts only if XGETBV says its registers
    // are saved on a context switch.
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return Isa::avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
    return Isa::scalar;
  }();
  return best;
}

Isa active_isa() { return kernels().isa; }

const KernelTable* kernels_for(Isa isa) {
  static const KernelTable scalar{};
  if (isa > cpu_isa()) return nullptr;
  switch (isa) {
    case Isa::avx512:
      return &x86::kAvx512Kernels;
    case Isa::avx2:
      return &x86::kAvx2Kernels;
    case Isa::scalar:
      break;
  }
  return &scalar;
}

const KernelTable& kernels() {
  static const KernelTable& active = []() -> const KernelTable& {
    Isa isa = cpu_isa();
    if (const char* cap = std::getenv("REDES_ISA"); cap != nullptr && *cap != '\0')
      isa = std::min(isa, parse_isa(cap, "REDES_ISA"));
    return *kernels_for(isa);
  }();
  return active;
}

}  // namespace redes
