#include "layers/recurrent.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/gemm.hpp"
#include "redes/init.hpp"

// OpenBLAS's thread count (the same calls as redes/threads.cpp uses).
extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads(void);

namespace redes {
namespace {

// While alive with threads > 1, makes the BLAS single-threaded: each OpenMP thread of the
// layer then calls gemm on its own rows (see recurrent.hpp, "Threads").
class SerialBlas {
 public:
  explicit SerialBlas(int threads) : saved_(threads > 1 ? openblas_get_num_threads() : 0) {
    if (saved_ > 1) openblas_set_num_threads(1);
  }
  ~SerialBlas() {
    if (saved_ > 1) openblas_set_num_threads(saved_);
  }
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int saved_;
};

// Threads for a pass over N samples that costs about `work` multiply-adds per direction: at
// most one per sample, and one for small layers, where a parallel region (and a thread that
// may have to wait for a busy core) costs more than the work.
int threads_for(int64_t N, int64_t work) {
  constexpr int64_t kParallelMin = int64_t(1) << 21;
  if (work < kParallelMin) return 1;
  return static_cast<int>(std::clamp<int64_t>(omp_get_max_threads(), 1, std::max<int64_t>(N, 1)));
}

}  // namespace

template <class T>
void swap_leading_dims(const T* src, T* dst, int64_t A, int64_t B, int64_t row, bool add) {
  for (int64_t a = 0; a < A; ++a) {
    for (int64_t b = 0; b < B; ++b) {
      const T* s = src + (a * B + b) * row;
      T* d = dst + (b * A + a) * row;
      if (add) {
        for (int64_t j = 0; j < row; ++j) d[j] += s[j];
      } else {
        std::copy(s, s + row, d);
      }
    }
  }
}

template <class T>
void load_rows(const T* src, int64_t ld, int64_t N, int64_t H, T* dst) {
  for (int64_t n = 0; n < N; ++n) {
    if (src) {
      std::copy(src + n * ld, src + n * ld + H, dst + n * H);
    } else {
      std::fill(dst + n * H, dst + (n + 1) * H, T(0));
    }
  }
}

template <class T>
void input_projection(int64_t R, int64_t F, int64_t G, const T* x, const T* w, const T* b1,
                      const T* b2, T* pre) {
  // Start every row at the bias, then pre (R, G) += x (R, F) W^T (F, G).
  for (int64_t r = 0; r < R; ++r) {
    T* p = pre + r * G;
    if (b2) {
      for (int64_t g = 0; g < G; ++g) p[g] = b1[g] + b2[g];
    } else {
      std::copy(b1, b1 + G, p);
    }
  }
  gemm<T>(false, true, R, G, F, T(1), x, F, w, F, T(1), pre, G);
}

template <class T>
void accumulate_param_grads(int64_t R, int64_t F, int64_t G, Range gates, const T* dpre, const T* x,
                            T* dw, T* db) {
  if (gates.size() <= 0) return;
  // Each weight sums, over every step and sample, its gate's gradient times the input it
  // multiplied: rows [g0, g1) of dW (G, F) += dpre[:, g0:g1]^T (g1 - g0, R) x (R, F).
  gemm<T>(true, false, gates.size(), F, R, T(1), dpre + gates.begin, G, x, F, T(1),
          dw + gates.begin * F, F);
  if (!db) return;
  // db += the column sums of dpre, in blocks of columns so that the partial sums stay in
  // registers; each column sums its rows in order.
  constexpr int64_t kBlock = 64;
  for (int64_t g0 = gates.begin; g0 < gates.end; g0 += kBlock) {
    const int64_t width = std::min(kBlock, gates.end - g0);
    T sum[kBlock] = {};
    for (int64_t r = 0; r < R; ++r) {
      const T* row = dpre + r * G + g0;
#pragma omp simd
      for (int64_t j = 0; j < width; ++j) sum[j] += row[j];
    }
    for (int64_t j = 0; j < width; ++j) db[g0 + j] += sum[j];
  }
}

template <class T>
void Recurrent<T>::finish_backward(const DirectionBackward& a, int team, int p, const T* dgi,
                                   const T* dgh, const T* h_read, const T* db_parts) {
  const int64_t R = steps() * batch(), H = units(), F = in_features(a.layer), G = gates_ * H;
  Param<T>& w_ih = weight_ih(a.layer, a.direction);
  Param<T>& w_hh = weight_hh(a.layer, a.direction);
  const Range gate_rows = split(G, team, p);
  T* db_ih = bias_ih(a.layer, a.direction).grad;
  T* db_hh = bias_hh(a.layer, a.direction).grad;
  accumulate_param_grads(R, F, G, gate_rows, dgi, a.x, w_ih.grad, db_parts ? nullptr : db_ih);
  accumulate_param_grads(R, H, G, gate_rows, dgh, h_read, w_hh.grad, db_parts ? nullptr : db_hh);
  if (db_parts) {
    // The threads' column sums, added in thread order, to both biases.
    for (int64_t j = gate_rows.begin; j < gate_rows.end; ++j) {
      T sum = T(0);
      for (int q = 0; q < team; ++q) sum += db_parts[q * G + j];
      db_ih[j] += sum;
      db_hh[j] += sum;
    }
  }
  const Range rows = split(R, team, p);
  if (a.dx && rows.size() > 0)
    gemm<T>(false, false, rows.size(), F, G, T(1), dgi + rows.begin * G, G, w_ih.value, F, T(1),
            a.dx + rows.begin * F, F);
}

template <class T>
Recurrent<T>::Recurrent(RecurrentOptions opt, int64_t gates, int states)
    : opt_(std::move(opt)), gates_(gates), states_(states) {
  REDES_CHECK(opt_.units > 0, ConfigError,
              "recurrent layer: units must be positive, got " + std::to_string(opt_.units));
  REDES_CHECK(opt_.layers >= 1, ConfigError,
              "recurrent layer: layers must be >= 1, got " + std::to_string(opt_.layers));
  REDES_CHECK(opt_.dropout >= 0.0 && opt_.dropout < 1.0, ConfigError,
              "recurrent layer: dropout must be in [0, 1), got " + std::to_string(opt_.dropout));
  check_init_scheme(opt_.init);
}

template <class T>
size_t Recurrent<T>::num_inputs() const {
  return 1 + (opt_.initial_state ? states_ : 0) + (opt_.masked ? 1 : 0);
}

template <class T>
Shape Recurrent<T>::setup(std::span<const Shape> inputs) {
  const std::string k(this->kind());
  const int64_t H = opt_.units, D = directions(), L = opt_.layers;
  std::string expected = "x";
  if (opt_.initial_state) expected += states_ == 2 ? ", h0, c0" : ", h0";
  if (opt_.masked) expected += ", mask";
  REDES_CHECK(inputs.size() == num_inputs(), ShapeError,
              k + " takes " + std::to_string(num_inputs()) + " input(s) (" + expected +
                  "; see the attributes initial_state and masked), got " +
                  std::to_string(inputs.size()));
  const Shape& x = inputs[0];
  REDES_CHECK(x.rank() == 2 && x[0] > 0 && x[1] > 0, ShapeError,
              k + " needs a per-sample input (T, F) with T, F > 0, got " + x.str());
  steps_ = x[0];
  features_ = x[1];
  size_t next = 1;
  if (opt_.initial_state) {
    const Shape state{L * D, H};
    for (int s = 0; s < states_; ++s, ++next) {
      REDES_CHECK(inputs[next] == state, ShapeError,
                  k + ": initial " + (s == 0 ? "hidden" : "cell") + " state must be (layers * " +
                      "directions, units) = " + state.str() + " per sample, got " +
                      inputs[next].str());
    }
  }
  if (opt_.masked) {
    REDES_CHECK(inputs[next] == Shape{steps_}, ShapeError,
                k + ": mask must be (T) = " + Shape{steps_}.str() +
                    " per sample, as the input's steps, got " + inputs[next].str());
  }

  // PyTorch's names and order: for each layer, for each direction, the four tensors.
  params_.clear();
  params_.reserve(L * D * 4);
  const int64_t G = gates_ * H;
  for (int64_t l = 0; l < L; ++l) {
    for (int64_t d = 0; d < D; ++d) {
      const std::string sfx = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
      params_.emplace_back("weight_ih" + sfx).shape = Shape{G, in_features(l)};
      params_.emplace_back("weight_hh" + sfx).shape = Shape{G, H};
      params_.emplace_back("bias_ih" + sfx).shape = Shape{G};
      params_.emplace_back("bias_hh" + sfx).shape = Shape{G};
    }
  }
  y_.assign(L, {});
  dy_.assign(L, {});
  dropped_.assign(L, {});
  drop_mask_.assign(L, {});
  ddropped_.assign(L, {});
  if (opt_.return_sequences) return Shape{steps_, D * H};
  return Shape{D * H};
}

template <class T>
void Recurrent<T>::init(Rng& rng) {
  const int64_t H = opt_.units, G = gates_ * H;
  for (int64_t l = 0; l < opt_.layers; ++l) {
    for (int64_t d = 0; d < directions(); ++d) {
      if (opt_.init == "torch") {
        // nn.LSTM / nn.GRU reset_parameters: U(-k, k) with k = 1 / sqrt(hidden_size) for all.
        const double a = 1.0 / std::sqrt(static_cast<double>(H));
        for (auto* p : {&weight_ih(l, d), &weight_hh(l, d), &bias_ih(l, d), &bias_hh(l, d)})
          uniform(p->values(), -a, a, rng);
      } else {
        init_weight(opt_.init, weight_ih(l, d).values(), in_features(l), G, rng);
        init_weight(opt_.init, weight_hh(l, d).values(), H, G, rng);
        std::fill(bias_ih(l, d).values().begin(), bias_ih(l, d).values().end(), T(0));
        std::fill(bias_hh(l, d).values().begin(), bias_hh(l, d).values().end(), T(0));
      }
    }
  }
}

template <class T>
std::vector<Param<T>*> Recurrent<T>::params() {
  std::vector<Param<T>*> out;
  for (auto& p : params_) out.push_back(&p);
  return out;
}

template <class T>
void Recurrent<T>::read_mask(const TensorView<const T>& mask) {
  const int64_t N = batch_, T_ = steps_;
  REDES_CHECK(mask.rank() == 2 && mask.dim(0) == N && mask.dim(1) == T_, ShapeError,
              std::string(this->kind()) + ": mask must be (N, T) = (" + std::to_string(N) + ", " +
                  std::to_string(T_) + "), got " + mask.shape().str());
  active_.resize(T_ * N);
  has_padding_ = false;
  for (int64_t n = 0; n < N; ++n) {
    int64_t length = T_;
    for (int64_t t = 0; t < T_; ++t) {
      const bool real = mask[n * T_ + t] >= T(0.5);
      if (!real && length == T_) length = t;
      REDES_CHECK(!real || length == T_, ShapeError,
                  std::string(this->kind()) + ": the mask of sample " + std::to_string(n) +
                      " has a real step at t = " + std::to_string(t) + " after padding at t = " +
                      std::to_string(length) + " (padding must come only at the end)");
      active_[t * N + n] = real;
    }
    if (length < T_) has_padding_ = true;
  }
}

template <class T>
void Recurrent<T>::forward(const ForwardCtx<T>& ctx) {
  const std::string k(this->kind());
  REDES_CHECK(ctx.inputs.size() == num_inputs(), ShapeError,
              k + " takes " + std::to_string(num_inputs()) + " input(s), got " +
                  std::to_string(ctx.inputs.size()));
  const auto& x = ctx.in(0);  // (N, T, F)
  REDES_CHECK(x.rank() == 3 && x.dim(1) == steps_ && x.dim(2) == features_, ShapeError,
              k + ": input must be (N, " + std::to_string(steps_) + ", " +
                  std::to_string(features_) + "), got " + x.shape().str());
  const int64_t N = x.dim(0), T_ = steps_, F = features_;
  const int64_t H = opt_.units, D = directions(), L = opt_.layers, DH = D * H;
  batch_ = N;
  const auto& out = ctx.out();
  const Shape want = opt_.return_sequences ? Shape{N, T_, DH} : Shape{N, DH};
  REDES_CHECK(out.shape() == want, ShapeError,
              k + ": output must be " + want.str() + ", got " + out.shape().str());

  // Initial states (N, L*D, H): rows of direction (l, d) start at index(l, d) * H.
  const T* h0 = nullptr;
  const T* c0 = nullptr;
  size_t next = 1;
  if (opt_.initial_state) {
    const Shape state{N, L * D, H};
    for (int s = 0; s < states_; ++s, ++next) {
      REDES_CHECK(
          ctx.in(next).shape() == state, ShapeError,
          k + ": initial state must be " + state.str() + ", got " + ctx.in(next).shape().str());
    }
    h0 = ctx.in(1).data();
    if (states_ == 2) c0 = ctx.in(2).data();
  }
  if (opt_.masked) {
    read_mask(ctx.in(next));
  } else {
    has_padding_ = false;
  }

  xt_.resize(Shape{T_, N, F});
  swap_leading_dims(x.data(), xt_.data(), N, T_, F, false);
  threads_ = threads_for(N, T_ * N * gates_ * H * (F + H));
  const SerialBlas serial_blas(threads_);
  dropped_out_ = ctx.training && opt_.dropout > 0.0 && L > 1;
  if (dropped_out_)
    REDES_CHECK(ctx.rng != nullptr, Error, k + ": dropout needs an Rng in training");

  for (int64_t l = 0; l < L; ++l) {
    const T* in = xt_.data();
    if (l > 0) {
      in = y_[l - 1].data();
      if (dropped_out_) {
        // Inverted dropout on the previous layer's output (T, N, D*H), drawn serially.
        const int64_t n = T_ * N * DH;
        const T keep_scale = static_cast<T>(1.0 / (1.0 - opt_.dropout));
        drop_mask_[l].resize(Shape{n});
        dropped_[l].resize(Shape{T_, N, DH});
        T* m = drop_mask_[l].data();
        T* dst = dropped_[l].data();
        for (int64_t i = 0; i < n; ++i) {
          m[i] = ctx.rng->uniform() >= opt_.dropout ? keep_scale : T(0);
          dst[i] = in[i] * m[i];
        }
        in = dst;
      }
    }
    y_[l].resize(Shape{T_, N, DH});
    for (int64_t d = 0; d < D; ++d) {
      const int64_t off = index(l, d) * H;
      forward_direction({l, d, in, h0 ? h0 + off : nullptr, c0 ? c0 + off : nullptr, L * D * H,
                         y_[l].data() + d * H, DH});
    }
  }

  if (opt_.return_sequences) {
    swap_leading_dims(y_[L - 1].data(), out.data(), T_, N, DH, false);
  } else {
    for (int64_t d = 0; d < D; ++d) {
      const T* fh = final_h(L - 1, d);
      for (int64_t n = 0; n < N; ++n)
        std::copy(fh + n * H, fh + (n + 1) * H, out.data() + n * DH + d * H);
    }
  }
  // h_n (and c_n), batch first.
  h_n_.resize(Shape{N, L * D, H});
  if (states_ == 2) c_n_.resize(Shape{N, L * D, H});
  for (int64_t l = 0; l < L; ++l) {
    for (int64_t d = 0; d < D; ++d) {
      const T* fh = final_h(l, d);
      const T* fc = final_c(l, d);
      for (int64_t n = 0; n < N; ++n) {
        const int64_t dst = (n * L * D + index(l, d)) * H;
        std::copy(fh + n * H, fh + (n + 1) * H, h_n_.data() + dst);
        if (fc) std::copy(fc + n * H, fc + (n + 1) * H, c_n_.data() + dst);
      }
    }
  }
}

template <class T>
void Recurrent<T>::backward(const BackwardCtx<T>& ctx) {
  const std::string k(this->kind());
  const int64_t N = batch_, T_ = steps_, F = features_;
  const int64_t H = opt_.units, D = directions(), L = opt_.layers, DH = D * H;
  const auto& dout = ctx.dout();
  const Shape want = opt_.return_sequences ? Shape{N, T_, DH} : Shape{N, DH};
  REDES_CHECK(dout.shape() == want, ShapeError,
              k + ": output gradient must be " + want.str() +
                  " as the last forward's output, got " + dout.shape().str());
  auto wanted = [&](size_t i) { return i < ctx.grad_inputs.size() && !ctx.din(i).empty(); };
  const bool want_dx = wanted(0);
  const bool want_dh0 = opt_.initial_state && wanted(1);
  const bool want_dc0 = opt_.initial_state && states_ == 2 && wanted(2);
  if (want_dh0) dh0_.resize(Shape{N, H});
  if (want_dc0) dc0_.resize(Shape{N, H});
  threads_ = threads_for(N, T_ * N * gates_ * H * (F + H));
  const SerialBlas serial_blas(threads_);

  const T* dy_top = nullptr;  // d loss / d y of the top layer, (T, N, D*H)
  if (opt_.return_sequences) {
    dy_[L - 1].resize(Shape{T_, N, DH});
    swap_leading_dims(dout.data(), dy_[L - 1].data(), N, T_, DH, false);
    dy_top = dy_[L - 1].data();
  }
  for (int64_t l = L - 1; l >= 0; --l) {
    const T* in = l == 0 ? xt_.data() : (dropped_out_ ? dropped_[l].data() : y_[l - 1].data());
    // d loss / d (this layer's input): for l > 0 the previous layer's output gradient (through
    // the dropout mask when there was one), for l = 0 the model input's.
    T* dx = nullptr;
    BasicTensor<T>* dx_buf = nullptr;
    if (l > 0) {
      dx_buf = dropped_out_ ? &ddropped_[l] : &dy_[l - 1];
      dx_buf->resize(Shape{T_, N, DH});
    } else if (want_dx) {
      dx_buf = &dxt_;
      dx_buf->resize(Shape{T_, N, F});
    }
    if (dx_buf) {
      dx = dx_buf->data();
      std::fill(dx, dx + dx_buf->numel(), T(0));
    }
    const T* dy = l == L - 1 ? dy_top : dy_[l].data();
    for (int64_t d = 0; d < D; ++d) {
      const bool top_last = l == L - 1 && !opt_.return_sequences;
      backward_direction({l, d, in, dy ? dy + d * H : nullptr, DH,
                          top_last ? dout.data() + d * H : nullptr, DH, dx,
                          want_dh0 ? dh0_.data() : nullptr, want_dc0 ? dc0_.data() : nullptr});
      // Add this direction's initial-state gradients into rows index(l, d) of (N, L*D, H).
      for (int s = 0; s < 2; ++s) {
        if (!(s == 0 ? want_dh0 : want_dc0)) continue;
        const T* src = (s == 0 ? dh0_ : dc0_).data();
        T* dst = ctx.din(1 + s).data() + index(l, d) * H;
        for (int64_t n = 0; n < N; ++n)
          for (int64_t j = 0; j < H; ++j) dst[n * L * D * H + j] += src[n * H + j];
      }
    }
    if (l > 0 && dropped_out_) {
      dy_[l - 1].resize(Shape{T_, N, DH});
      const T* m = drop_mask_[l].data();
      T* g = dy_[l - 1].data();
      for (int64_t i = 0; i < T_ * N * DH; ++i) g[i] = dx[i] * m[i];
    }
  }
  if (want_dx) {
    REDES_CHECK(ctx.din(0).numel() == N * T_ * F, ShapeError,
                k + ": input gradient " + ctx.din(0).shape().str() + " does not match the input");
    swap_leading_dims(dxt_.data(), ctx.din(0).data(), T_, N, F, true);
  }
}

template class Recurrent<float>;
template class Recurrent<double>;
template void swap_leading_dims<float>(const float*, float*, int64_t, int64_t, int64_t, bool);
template void swap_leading_dims<double>(const double*, double*, int64_t, int64_t, int64_t, bool);
template void load_rows<float>(const float*, int64_t, int64_t, int64_t, float*);
template void load_rows<double>(const double*, int64_t, int64_t, int64_t, double*);
template void input_projection<float>(int64_t, int64_t, int64_t, const float*, const float*,
                                      const float*, const float*, float*);
template void input_projection<double>(int64_t, int64_t, int64_t, const double*, const double*,
                                       const double*, const double*, double*);
template void accumulate_param_grads<float>(int64_t, int64_t, int64_t, Range, const float*,
                                            const float*, float*, float*);
template void accumulate_param_grads<double>(int64_t, int64_t, int64_t, Range, const double*,
                                             const double*, double*, double*);

}  // namespace redes
