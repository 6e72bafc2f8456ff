// The instruction-set tiers of redes' own kernels. Each tier is a table of kernels
// (src/kernels/kernel_table.hpp), chosen once, at first use: the best tier this CPU runs, capped
// by the environment variable REDES_ISA=avx512|avx2|scalar. A cap above what the CPU runs
// changes nothing, so REDES_ISA=avx512 is safe anywhere. The cap covers redes' kernels only:
// OpenBLAS picks its own (OPENBLAS_CORETYPE=Haswell holds it to AVX2 as well).
#pragma once
#include <string_view>

namespace redes {

enum class Isa { scalar = 0, avx2 = 1, avx512 = 2 };

// "scalar", "avx2", "avx512".
const char* isa_name(Isa isa);
// The tier of a name; throws ConfigError naming what was given and the three tiers otherwise.
Isa parse_isa(std::string_view name, std::string_view where);
// The best tier this CPU and its OS run: avx512 needs AVX-512F, avx2 needs AVX2 and FMA.
Isa cpu_isa();
// The tier the kernels use: cpu_isa(), capped by REDES_ISA (read once). Throws ConfigError when
// REDES_ISA names no tier.
Isa active_isa();

}  // namespace redes
