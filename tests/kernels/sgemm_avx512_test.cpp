// The AVX-512 SGEMM (src/kernels/x86/sgemm_avx512.cpp) against gemm_reference, called directly
// (not through gemm's size threshold): shapes around its micro-tile (14 x 32), its blocks
// (K 256, M 336, N 512) and their edges, every transpose, alpha/beta pairs, leading dimensions
// beyond the row, NaN in C under beta == 0, determinism and calls from OpenMP threads.
// Skipped on CPUs without AVX-512F, where gemm never calls it.
#include "kernels/x86/sgemm_avx512.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/gemm.hpp"
#include "kernels/kernel_table.hpp"
#include "redes/rng.hpp"

namespace redes {
namespace {

#define REQUIRE_AVX512()                                                   \
  do {                                                                     \
    if (!kernels_for(Isa::avx512)) GTEST_SKIP() << "CPU without AVX-512F"; \
  } while (0)

struct Case {
  int64_t M, N, K;
  bool ta, tb;
  float alpha, beta;
  int64_t pad;  // extra columns in every leading dimension
};

std::vector<float> random_floats(int64_t n, Rng& rng) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.uniform(-1, 1));
  return v;
}

struct Operands {
  int64_t lda, ldb, ldc;
  std::vector<float> A, B, C0;
};

Operands make_operands(const Case& c, bool nan_c) {
  Rng rng(c.M * 7919 + c.N * 104729 + c.K * 31 + c.ta * 2 + c.tb + c.pad * 5);
  Operands o;
  const int64_t a_rows = c.ta ? c.K : c.M, a_cols = c.ta ? c.M : c.K;
  const int64_t b_rows = c.tb ? c.N : c.K, b_cols = c.tb ? c.K : c.N;
  o.lda = std::max<int64_t>(1, a_cols + c.pad);
  o.ldb = std::max<int64_t>(1, b_cols + c.pad);
  o.ldc = std::max<int64_t>(1, c.N + c.pad);
  o.A = random_floats(a_rows * o.lda, rng);
  o.B = random_floats(b_rows * o.ldb, rng);
  o.C0 = random_floats(c.M * o.ldc, rng);
  if (nan_c) {
    // NaN in C's entries only; the padding keeps finite sentinels.
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < c.N; ++j)
        o.C0[i * o.ldc + j] = std::numeric_limits<float>::quiet_NaN();
  }
  return o;
}

void check(const Case& c, bool nan_c = false) {
  SCOPED_TRACE(::testing::Message() << "M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << c.ta
                                    << " tb=" << c.tb << " alpha=" << c.alpha << " beta=" << c.beta
                                    << " pad=" << c.pad << " nan_c=" << nan_c);
  const Operands o = make_operands(c, nan_c);
  auto fast = o.C0, ref = o.C0;
  x86::sgemm_avx512(c.ta, c.tb, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb,
                    c.beta, fast.data(), o.ldc);
  if (nan_c) std::fill(ref.begin(), ref.end(), 0.0f);  // the reference's beta == 0 is trusted
  gemm_reference<float>(c.ta, c.tb, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb,
                        c.beta, ref.data(), o.ldc);
  const double tol = 2e-6 * (c.K + 4) * (std::fabs(c.alpha) + std::fabs(c.beta) + 1);
  for (int64_t i = 0; i < c.M; ++i) {
    for (int64_t j = 0; j < o.ldc; ++j) {
      const int64_t at = i * o.ldc + j;
      if (j >= c.N) {
        ASSERT_EQ(fast[at], o.C0[at]) << "padding touched at (" << i << ", " << j << ")";
        continue;
      }
      ASSERT_TRUE(std::isfinite(fast[at])) << "at (" << i << ", " << j << ")";
      ASSERT_NEAR(fast[at], ref[at], tol) << "at (" << i << ", " << j << ")";
    }
  }
}

TEST(SgemmAvx512, MatchesReferenceOnAwkwardShapes) {
  REQUIRE_AVX512();
  // Around the micro-tile (14 x 32, 16-wide vectors) and the K block (256).
  const int64_t shapes[][3] = {
      {1, 1, 1},    {1, 17, 3},    {2, 1, 5},     {13, 31, 7},    {14, 32, 16},  {15, 33, 17},
      {7, 16, 255}, {28, 64, 256}, {29, 65, 257}, {27, 63, 513},  {3, 47, 1},    {64, 3, 129},
      {42, 96, 40}, {16, 48, 9},   {33, 17, 31},  {130, 97, 200}, {5, 100, 300}, {100, 5, 64}};
  const float scalars[][2] = {{1, 0}, {1, 1}, {-0.5f, 2.5f}, {1.75f, 0}, {2, 1}};
  for (const auto& s : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (const auto& ab : scalars)
          for (int64_t pad : {0, 5}) check({s[0], s[1], s[2], ta, tb, ab[0], ab[1], pad});
}

TEST(SgemmAvx512, MatchesReferenceAcrossMAndNBlocks) {
  REQUIRE_AVX512();
  // M beyond one block of 336 rows, N beyond one block of 512 columns, short K (the case the
  // loop order is for) with a row stride of 1024 floats.
  const Case cases[] = {
      {337, 20, 33, false, false, 1, 1, 0},   {350, 9, 70, true, true, 1.5f, 0, 3},
      {20, 513, 33, false, true, 1, 0.5f, 0}, {9, 1030, 12, true, false, -1, 1, 2},
      {30, 1024, 10, false, false, 1, 1, 0},  {15, 600, 260, true, true, 0.5f, 2, 1}};
  for (const auto& c : cases) check(c);
}

TEST(SgemmAvx512, BetaZeroOverwritesNaN) {
  REQUIRE_AVX512();
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const int64_t* s : {(const int64_t[]){1, 1, 1}, (const int64_t[]){15, 33, 300},
                               (const int64_t[]){29, 70, 9}})
        check({s[0], s[1], s[2], ta, tb, 1.25f, 0, 3}, /*nan_c=*/true);
}

TEST(SgemmAvx512, EmptyProductScalesC) {
  REQUIRE_AVX512();
  std::vector<float> c(6, std::numeric_limits<float>::quiet_NaN());
  const float a = 1, b = 1;
  x86::sgemm_avx512(false, false, 2, 3, 0, 1.f, &a, 1, &b, 3, 0.f, c.data(), 3);
  for (float v : c) EXPECT_EQ(v, 0.f);
  std::fill(c.begin(), c.end(), 2.f);
  x86::sgemm_avx512(false, false, 2, 3, 0, 1.f, &a, 1, &b, 3, 0.5f, c.data(), 3);
  for (float v : c) EXPECT_EQ(v, 1.f);
}

// The same call gives the same bits every time, on any thread, also with OpenMP threads calling
// it at once (each with its own packing buffers).
TEST(SgemmAvx512, DeterministicAndSafeInOpenMPThreads) {
  REQUIRE_AVX512();
  const Case c{70, 150, 300, false, true, 1, 0, 0};
  const Operands o = make_operands(c, false);
  auto once = [&](std::vector<float>& out) {
    out.assign(c.M * o.ldc, 0.f);
    x86::sgemm_avx512(c.ta, c.tb, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb,
                      c.beta, out.data(), o.ldc);
  };
  std::vector<float> first, again;
  once(first);
  once(again);
  ASSERT_EQ(0, std::memcmp(first.data(), again.data(), first.size() * sizeof(float)));
  constexpr int kCalls = 16;
  std::vector<std::vector<float>> outs(kCalls);
#pragma omp parallel for num_threads(4) schedule(static, 1)
  for (int t = 0; t < kCalls; ++t) once(outs[t]);
  for (int t = 0; t < kCalls; ++t)
    ASSERT_EQ(0, std::memcmp(first.data(), outs[t].data(), first.size() * sizeof(float))) << t;
}

// Outside a parallel region a large product is split over the OpenMP threads, by columns or by
// rows; the bits must not depend on the thread count, and must match the reference.
TEST(SgemmAvx512, SameBitsForAnyThreadCount) {
  REQUIRE_AVX512();
  const int saved = omp_get_max_threads();
  const Case cases[] = {{40, 700, 300, false, true, 1, 0.5f, 3},  // split by columns
                        {600, 50, 270, true, false, -1, 1, 0},    // split by rows
                        {129, 130, 257, true, true, 1.5f, 0, 1}};
  for (const auto& c : cases) {
    const Operands o = make_operands(c, false);
    std::vector<std::vector<float>> outs;
    for (int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      auto out = o.C0;
      x86::sgemm_avx512(c.ta, c.tb, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb,
                        c.beta, out.data(), o.ldc);
      outs.push_back(std::move(out));
    }
    omp_set_num_threads(saved);
    for (size_t t = 1; t < outs.size(); ++t)
      ASSERT_EQ(0, std::memcmp(outs[0].data(), outs[t].data(), outs[0].size() * sizeof(float)))
          << "M=" << c.M << " N=" << c.N << " threads " << t + 1;
    check(c);
  }
}

// gemm<float> dispatches here above its threshold; the result must still match the reference.
TEST(SgemmAvx512, ReachedThroughGemm) {
  const Case c{64, 196, 800, false, false, 1, 1, 0};
  const Operands o = make_operands(c, false);
  auto fast = o.C0, ref = o.C0;
  gemm<float>(c.ta, c.tb, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb, c.beta,
              fast.data(), o.ldc);
  gemm_reference<float>(c.ta, c.tb, c.M, c.N, c.K, c.alpha, o.A.data(), o.lda, o.B.data(), o.ldb,
                        c.beta, ref.data(), o.ldc);
  for (size_t i = 0; i < fast.size(); ++i) ASSERT_NEAR(fast[i], ref[i], 2e-6 * (c.K + 4) * 3) << i;
}

}  // namespace
}  // namespace redes
