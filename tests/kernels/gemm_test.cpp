// gemm (CBLAS) against gemm_reference (triple loop) on awkward shapes, strides and scalars.
#include "kernels/gemm.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/kernel_table.hpp"
#include "kernels/onednn_matmul.hpp"
#include "redes/error.hpp"
#include "redes/isa.hpp"
#include "redes/rng.hpp"

namespace redes {
namespace {

struct GemmCase {
  int64_t M, N, K;
  bool trans_a, trans_b;
  double alpha, beta;
  int64_t pad;  // extra columns in every leading dimension (lda > the stored row length)
};

template <class T>
std::vector<T> random_vector(int64_t n, Rng& rng) {
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.uniform(-1, 1));
  return v;
}

// packed: the product through PackedB and gemm_packed (B packed once, used twice), not gemm.
template <class T>
void check_case(const GemmCase& c, bool packed = false) {
  SCOPED_TRACE(::testing::Message()
               << (packed ? "packed B, " : "") << "M=" << c.M << " N=" << c.N << " K=" << c.K
               << " ta=" << c.trans_a << " tb=" << c.trans_b << " alpha=" << c.alpha
               << " beta=" << c.beta << " pad=" << c.pad);
  Rng rng(c.M * 1000003 + c.N * 1009 + c.K);
  // Stored A is (M, K), or (K, M) when transposed; stored B is (K, N), or (N, K).
  const int64_t a_rows = c.trans_a ? c.K : c.M, a_cols = c.trans_a ? c.M : c.K;
  const int64_t b_rows = c.trans_b ? c.N : c.K, b_cols = c.trans_b ? c.K : c.N;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.N + c.pad;
  const auto A = random_vector<T>(a_rows * lda, rng);
  const auto B = random_vector<T>(b_rows * ldb, rng);
  const auto C0 = random_vector<T>(c.M * ldc, rng);
  auto fast = C0, ref = C0;
  if (packed) {
    PackedB<T> pb;
    pb.pack(c.trans_b, c.K, c.N, B.data(), ldb);
    for (int pass = 0; pass < 2; ++pass) {  // the second call reuses the packing
      fast = C0;
      gemm_packed<T>(c.trans_a, c.M, c.N, c.K, T(c.alpha), A.data(), lda, pb, T(c.beta),
                     fast.data(), ldc);
    }
  } else {
    gemm<T>(c.trans_a, c.trans_b, c.M, c.N, c.K, T(c.alpha), A.data(), lda, B.data(), ldb,
            T(c.beta), fast.data(), ldc);
  }
  gemm_reference<T>(c.trans_a, c.trans_b, c.M, c.N, c.K, T(c.alpha), A.data(), lda, B.data(), ldb,
                    T(c.beta), ref.data(), ldc);
  // Rounding grows with the length K of each dot product.
  const double tol = (std::is_same_v<T, float> ? 2e-6 : 1e-14) * (c.K + 4);
  for (int64_t i = 0; i < c.M; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const int64_t at = i * ldc + j;
      if (j >= c.N) {
        // Padding beyond column N is not C's; gemm must leave it alone.
        ASSERT_EQ(fast[at], C0[at]) << "padding touched at (" << i << ", " << j << ")";
        continue;
      }
      ASSERT_NEAR(fast[at], ref[at], tol) << "at (" << i << ", " << j << ")";
    }
  }
  // Independent of both implementations: one entry recomputed here.
  if (c.M > 0 && c.N > 0) {
    const int64_t i = c.M - 1, j = c.N / 2;
    double sum = 0;
    for (int64_t k = 0; k < c.K; ++k) {
      const double a = c.trans_a ? A[k * lda + i] : A[i * lda + k];
      const double b = c.trans_b ? B[j * ldb + k] : B[k * ldb + j];
      sum += a * b;
    }
    const double want = c.alpha * sum + c.beta * C0[i * ldc + j];
    EXPECT_NEAR(ref[i * ldc + j], want, tol);
  }
}

std::vector<GemmCase> awkward_cases() {
  std::vector<GemmCase> cases;
  const int64_t shapes[][3] = {{1, 1, 1},    {7, 13, 5},     {64, 3, 129}, {3, 64, 1},
                               {33, 17, 31}, {130, 97, 200}, {1, 37, 300}, {1, 600, 33}};
  const double scalars[][2] = {{1, 0}, {1, 1}, {-0.5, 2.5}, {1.75, 0}};
  for (const auto& s : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (const auto& ab : scalars)
          for (int64_t pad : {0, 3}) cases.push_back({s[0], s[1], s[2], ta, tb, ab[0], ab[1], pad});
  return cases;
}

TEST(Gemm, FloatMatchesReferenceOnAwkwardShapes) {
  for (const auto& c : awkward_cases()) check_case<float>(c);
}

TEST(Gemm, DoubleMatchesReferenceOnAwkwardShapes) {
  for (const auto& c : awkward_cases()) check_case<double>(c);
}

// B packed once (the tier's own layout where it has a float GEMM): the awkward shapes, and one
// beyond a block of K (256) and of N (512) that is split over threads.
TEST(Gemm, PackedBMatchesReference) {
  auto cases = awkward_cases();
  cases.push_back({130, 600, 300, false, true, 1, 1, 2});
  cases.push_back({77, 530, 270, true, false, -0.5, 0, 0});
  for (const auto& c : cases) {
    check_case<float>(c, true);
    check_case<double>(c, true);
  }
  PackedB<float> pb;
  const std::vector<float> B(12, 1.0f);
  pb.pack(false, 3, 4, B.data(), 4);
  std::vector<float> A(6), C(8);
  EXPECT_THROW(gemm_packed<float>(false, 2, 4, 2, 1.f, A.data(), 2, pb, 0.f, C.data(), 4),
               ShapeError);  // K = 2, packed with 3
}

TEST(Gemm, KnownProduct) {
  // (2, 3) * (3, 2) by hand: [1 2 3; 4 5 6] * [7 8; 9 10; 11 12] = [58 64; 139 154].
  const double A[] = {1, 2, 3, 4, 5, 6}, B[] = {7, 8, 9, 10, 11, 12};
  double C[4] = {0, 0, 0, 0}, R[4] = {0, 0, 0, 0};
  gemm<double>(false, false, 2, 2, 3, 1.0, A, 3, B, 2, 0.0, C, 2);
  gemm_reference<double>(false, false, 2, 2, 3, 1.0, A, 3, B, 2, 0.0, R, 2);
  const double want[] = {58, 64, 139, 154};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(C[i], want[i]);
    EXPECT_EQ(R[i], want[i]);
  }
}

template <class T>
void check_beta_zero_overwrites_nan(int64_t M = 5, int64_t N = 4, int64_t K = 3) {
  // beta == 0 means C is output only: NaN already in C must not leak into the result.
  Rng rng(7);
  const auto A = random_vector<T>(M * K, rng), B = random_vector<T>(K * N, rng);
  std::vector<T> fast(M * N, std::numeric_limits<T>::quiet_NaN()), ref = fast;
  gemm<T>(false, false, M, N, K, T(1), A.data(), K, B.data(), N, T(0), fast.data(), N);
  gemm_reference<T>(false, false, M, N, K, T(1), A.data(), K, B.data(), N, T(0), ref.data(), N);
  for (int64_t i = 0; i < M * N; ++i) {
    EXPECT_TRUE(std::isfinite(fast[i])) << i;
    EXPECT_TRUE(std::isfinite(ref[i])) << i;
  }
  // One row (the matrix-vector path), every transpose.
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      std::vector<T> row(N, std::numeric_limits<T>::quiet_NaN());
      gemm<T>(ta, tb, 1, N, K, T(1), A.data(), ta ? 1 : K, B.data(), tb ? K : N, T(0), row.data(),
              N);
      for (int64_t j = 0; j < N; ++j) EXPECT_TRUE(std::isfinite(row[j])) << ta << tb << j;
    }
  // K == 0: the product is empty, C = beta * C.
  std::vector<T> c(M * N, T(2));
  gemm<T>(false, false, M, N, 0, T(1), A.data(), 1, B.data(), N, T(0.5), c.data(), N);
  for (auto v : c) EXPECT_EQ(v, T(1));
  std::fill(c.begin(), c.end(), std::numeric_limits<T>::quiet_NaN());
  gemm<T>(false, false, M, N, 0, T(1), A.data(), 1, B.data(), N, T(0), c.data(), N);
  for (auto v : c) EXPECT_EQ(v, T(0));
}

TEST(Gemm, BetaZeroOverwritesNaNFloat) { check_beta_zero_overwrites_nan<float>(); }
TEST(Gemm, BetaZeroOverwritesNaNDouble) { check_beta_zero_overwrites_nan<double>(); }

// The large float products go through oneDNN's matmul (kernels/onednn_matmul.hpp) in the AVX2
// and AVX-512 tiers: every transposition, alpha and beta (beta 0 over NaN), and leading
// dimensions wider than the rows.
TEST(Gemm, LargeFloatProductsThroughOnednnMatchReference) {
  const bool onednn = kernels().isa != Isa::scalar;
  for (const auto& [M, N, K] : {std::array<int64_t, 3>{64, 262, 1001}, {257, 129, 515}}) {
    EXPECT_GE(M * N * K, onednn::kMatmulMinWork);
    EXPECT_EQ(onednn::matmul_takes(M, N, K), onednn) << isa_name(kernels().isa);
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (const auto& [alpha, beta, pad] :
             {std::array<double, 3>{1, 0, 0}, {1, 1, 3}, {-0.5, 2.5, 1}, {1.75, 0, 2}})
          check_case<float>({M, N, K, ta, tb, alpha, beta, int64_t(pad)});
  }
  EXPECT_FALSE(onednn::matmul_takes(64, 256, 1000));  // below kMatmulMinWork: redes' own
  EXPECT_FALSE(onednn::matmul_takes(3584, 512, 28));  // thin: redes' own
  check_beta_zero_overwrites_nan<float>(64, 262, 1001);
}

TEST(Gemm, RejectsTooSmallLeadingDimension) {
  const float A[6] = {}, B[6] = {};
  float C[4] = {};
  // A is (2, 3): lda 2 is shorter than a row.
  EXPECT_THROW(gemm<float>(false, false, 2, 2, 3, 1.f, A, 2, B, 2, 0.f, C, 2), ShapeError);
  EXPECT_THROW(gemm_reference<float>(false, false, 2, 2, 3, 1.f, A, 2, B, 2, 0.f, C, 2),
               ShapeError);
  // Transposed A is stored (3, 2): lda 2 is enough there.
  EXPECT_NO_THROW(gemm<float>(true, false, 2, 2, 3, 1.f, A, 2, B, 2, 0.f, C, 2));
}

}  // namespace
}  // namespace redes
