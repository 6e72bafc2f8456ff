// The vector types the kernels of a tier are written in. A kernel body written once against a
// traits type V (kernels/x86/conv_direct_body.hpp, col2im_body.hpp) is compiled once per tier
// (tier_avx512.cpp with V = Avx512, tier_avx2.cpp with V = Avx2), every function of it carrying
// the tier's target attribute: the rest of the build stays baseline x86-64, and nothing marked
// runs unless the tier table (kernels/kernel_table.hpp) said the CPU has it.
//
// V gives: kLanes floats per vector, kRegisters vector registers, Reg and Mask, and
// zero, set1, loadu, maskz_loadu, storeu, mask_storeu, add, sub, fmadd (a * b + c), and mask(bits),
// where a lane mask is kept between uses as the bits of its lanes (lane i = bit i).
#pragma once
#include <immintrin.h>

#include <cstdint>

#define REDES_AVX512 __attribute__((target("avx512f")))
#define REDES_AVX2 __attribute__((target("avx2,fma")))

namespace redes::x86 {

// The bits of lanes [0, n), clamped to [0, 32).
constexpr uint32_t first_lanes(int64_t n) {
  return n <= 0 ? 0u : n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1u;
}
// The bits of lanes [lo, hi).
constexpr uint32_t lane_range(int64_t lo, int64_t hi) { return first_lanes(hi) & ~first_lanes(lo); }

// The first n lanes of a 16-float vector as an AVX-512 mask (none for n <= 0, all for n >= 16).
constexpr __mmask16 mask_of(int64_t n) { return static_cast<__mmask16>(first_lanes(n) & 0xFFFFu); }

struct Avx512 {
  static constexpr int kLanes = 16;
  static constexpr int kRegisters = 32;
  using Reg = __m512;
  using Mask = __mmask16;
  REDES_AVX512 static Mask mask(uint32_t bits) { return static_cast<Mask>(bits & 0xFFFFu); }
  REDES_AVX512 static Reg zero() { return _mm512_setzero_ps(); }
  REDES_AVX512 static Reg set1(float a) { return _mm512_set1_ps(a); }
  REDES_AVX512 static Reg loadu(const float* p) { return _mm512_loadu_ps(p); }
  REDES_AVX512 static Reg maskz_loadu(Mask m, const float* p) {
    return _mm512_maskz_loadu_ps(m, p);
  }
  REDES_AVX512 static void storeu(float* p, Reg a) { _mm512_storeu_ps(p, a); }
  REDES_AVX512 static void mask_storeu(float* p, Mask m, Reg a) { _mm512_mask_storeu_ps(p, m, a); }
  REDES_AVX512 static Reg add(Reg a, Reg b) { return _mm512_add_ps(a, b); }
  REDES_AVX512 static Reg sub(Reg a, Reg b) { return _mm512_sub_ps(a, b); }
  REDES_AVX512 static Reg fmadd(Reg a, Reg b, Reg c) { return _mm512_fmadd_ps(a, b, c); }
};

// AVX2 has no mask registers: a mask is a vector whose lanes are all ones or all zeros, and the
// masked loads and stores (vmaskmovps) neither read nor write, nor fault on, the other lanes.
struct Avx2 {
  static constexpr int kLanes = 8;
  static constexpr int kRegisters = 16;
  using Reg = __m256;
  using Mask = __m256i;
  REDES_AVX2 static Mask mask(uint32_t bits) {
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i b = _mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits & 0xFFu)), bit);
    return _mm256_cmpeq_epi32(b, bit);
  }
  REDES_AVX2 static Reg zero() { return _mm256_setzero_ps(); }
  REDES_AVX2 static Reg set1(float a) { return _mm256_set1_ps(a); }
  REDES_AVX2 static Reg loadu(const float* p) { return _mm256_loadu_ps(p); }
  REDES_AVX2 static Reg maskz_loadu(Mask m, const float* p) { return _mm256_maskload_ps(p, m); }
  REDES_AVX2 static void storeu(float* p, Reg a) { _mm256_storeu_ps(p, a); }
  REDES_AVX2 static void mask_storeu(float* p, Mask m, Reg a) { _mm256_maskstore_ps(p, m, a); }
  REDES_AVX2 static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  REDES_AVX2 static Reg sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  REDES_AVX2 static Reg fmadd(Reg a, Reg b, Reg c) { return _mm256_fmadd_ps(a, b, c); }
};

}  // namespace redes::x86
