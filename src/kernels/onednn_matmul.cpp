#include "kernels/onednn_matmul.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "kernels/onednn.hpp"

namespace redes::onednn {
namespace {

using dnnl::memory;

// A product's primitive and the descriptors its operands are bound to at each call.
struct Product {
  memory::desc a, b, c;
  dnnl::matmul prim;
  dnnl::stream stream{engine()};
};

using Key =
    std::tuple<bool, bool, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float, float>;

Product make(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, int64_t lda,
             int64_t ldb, float beta, int64_t ldc) {
  const auto f32 = memory::data_type::f32;
  Product p;
  // Row-major with leading dimensions; a transposed operand is the same storage read through
  // swapped strides.
  p.a = memory::desc({M, K}, f32, ta ? memory::dims{1, lda} : memory::dims{lda, 1});
  p.b = memory::desc({K, N}, f32, tb ? memory::dims{1, ldb} : memory::dims{ldb, 1});
  p.c = memory::desc({M, N}, f32, memory::dims{ldc, 1});
  dnnl::primitive_attr attr;
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
  if (beta != 0.0f) {
    dnnl::post_ops ops;
    ops.append_sum(beta);  // C = alpha A B + beta C
    attr.set_post_ops(ops);
  }
  p.prim =
      dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(p.a, p.b, p.c), attr, engine()));
  return p;
}

}  // namespace

bool matmul_takes(int64_t M, int64_t N, int64_t K) {
  return M * N * K >= kMatmulMinWork && std::min({M, N, K}) >= kMatmulMinSide && tier_ready();
}

void matmul(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
            int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  // Per thread: a thread's products never wait for another's (the trainer's thread shares).
  thread_local std::map<Key, Product> made;
  const Key key{ta, tb, M, N, K, lda, ldb, ldc, alpha, beta};
  auto it = made.find(key);
  if (it == made.end())
    it = made.emplace(key, make(ta, tb, M, N, K, alpha, lda, ldb, beta, ldc)).first;
  Product& p = it->second;
  memory a(p.a, engine(), const_cast<float*>(A)), b(p.b, engine(), const_cast<float*>(B)),
      c(p.c, engine(), C);
  p.prim.execute(p.stream, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}});
  p.stream.wait();
}

}  // namespace redes::onednn
