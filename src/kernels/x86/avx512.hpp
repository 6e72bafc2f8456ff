// What the AVX-512 kernels of this folder share: the target attribute that compiles one
// function for AVX-512F (the rest of the build stays baseline x86-64, and nothing marked with it
// runs unless cpu_has_avx512f() said yes), and the lane masks of 16-float vectors.
#pragma once
#include <immintrin.h>

#include <cstdint>

#define REDES_AVX512 __attribute__((target("avx512f")))

namespace redes::x86 {

// The first n lanes (none for n <= 0, all 16 for n >= 16).
constexpr __mmask16 mask_of(int64_t n) {
  return n <= 0 ? __mmask16(0) : n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1u);
}

// Lanes [lo, hi), clamped to [0, 16).
constexpr __mmask16 lanes(int64_t lo, int64_t hi) {
  return static_cast<__mmask16>(mask_of(hi) & ~mask_of(lo));
}

}  // namespace redes::x86
