#include "layers/lstm.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "kernels/gemm.hpp"
#include "kernels/lstm_cell.hpp"

namespace redes {

template <class T>
LSTM<T>::LSTM(RecurrentOptions opt, double forget_bias)
    : Recurrent<T>(std::move(opt), 4, 2), forget_bias_(forget_bias) {
  REDES_CHECK(std::isfinite(forget_bias_), ConfigError,
              "lstm: forget_bias must be finite, got " + std::to_string(forget_bias_));
}

template <class T>
void LSTM<T>::init(Rng& rng) {
  Recurrent<T>::init(rng);
  const int64_t H = this->units();
  for (int64_t l = 0; l < this->opt_.layers; ++l) {
    for (int64_t d = 0; d < this->directions(); ++d) {
      // The forget slice is [H, 2H) of the (i, f, g, o) blocks.
      std::fill(this->bias_ih(l, d).value + H, this->bias_ih(l, d).value + 2 * H,
                static_cast<T>(forget_bias_));
      std::fill(this->bias_hh(l, d).value + H, this->bias_hh(l, d).value + 2 * H, T(0));
    }
  }
}

template <class T>
typename LSTM<T>::Direction& LSTM<T>::direction(int64_t l, int64_t d) {
  const size_t count = this->opt_.layers * this->directions();
  if (dirs_.size() != count) dirs_.resize(count);
  return dirs_[this->index(l, d)];
}

template <class T>
void LSTM<T>::forward_direction(const typename Recurrent<T>::DirectionForward& a) {
  const int64_t T_ = this->steps(), N = this->batch(), H = this->units(), G = 4 * H;
  const int64_t F = this->in_features(a.layer), NH = N * H;
  const StateSlots slot{a.direction == 1, T_};
  Direction& s = direction(a.layer, a.direction);
  s.gates.resize(Shape{T_, N, G});
  s.h.resize(Shape{T_ + 1, N, H});
  s.c.resize(Shape{T_ + 1, N, H});
  s.tanh_c.resize(Shape{T_, N, H});
  const T* w_ih = this->weight_ih(a.layer, a.direction).value;
  const T* w_hh = this->weight_hh(a.layer, a.direction).value;
  const T* b_ih = this->bias_ih(a.layer, a.direction).value;
  const T* b_hh = this->bias_hh(a.layer, a.direction).value;
  T* gates = s.gates.data();
  T* h = s.h.data();
  T* c = s.c.data();
  s.w_hh_t.pack(true, H, G, w_hh, H);  // once for the T_ steps: (H, 4H) = W_hh^T
  const int P = this->threads();
#pragma omp parallel num_threads(P) if (P > 1)
  {
    // Split by the team we got, which may be smaller than asked for (a nested region).
    const int p = omp_get_thread_num(), team = omp_get_num_threads();
    // a_t = x_t W_ih^T + b_ih + b_hh for every step at once, (T*N, 4H) = (T*N, F) x (F, 4H):
    // this thread's share of the rows.
    const Range rows = split(T_ * N, team, p);
    input_projection(rows.size(), F, G, a.x + rows.begin * F, w_ih, b_ih, b_hh,
                     gates + rows.begin * G);
#pragma omp barrier
    // The recurrence on this thread's samples [n0, n1), which need no one else's.
    const Range mine = split(N, team, p);
    const int64_t n0 = mine.begin, M = mine.size();
    load_rows(a.h0 ? a.h0 + n0 * a.ld0 : nullptr, a.ld0, M, H, h + slot.initial() * NH + n0 * H);
    load_rows(a.c0 ? a.c0 + n0 * a.ld0 : nullptr, a.ld0, M, H, c + slot.initial() * NH + n0 * H);
    for (int64_t k = 0; k < T_ && M > 0; ++k) {
      const int64_t t = slot.reverse ? T_ - 1 - k : k;
      const int64_t prev = slot.prev(t) * NH + n0 * H, cur = slot.cur(t) * NH + n0 * H;
      T* at = gates + (t * N + n0) * G;
      // The recurrence: a_t += h_{t-1} W_hh^T, (M, 4H) += (M, H) x (H, 4H). Nothing to add
      // while h_{t-1} is the zero initial state.
      if (k > 0 || a.h0) gemm_packed<T>(false, M, G, H, T(1), h + prev, H, s.w_hh_t, T(1), at, G);
      const uint8_t* act = this->active(t);
      lstm_cell_forward(M, H, at, c + prev, h + prev, c + cur, s.tanh_c.data() + t * NH + n0 * H,
                        h + cur, a.y + (t * N + n0) * a.ldy, a.ldy, act ? act + n0 : nullptr);
    }
  }
}

template <class T>
void LSTM<T>::backward_direction(const typename Recurrent<T>::DirectionBackward& a) {
  const int64_t T_ = this->steps(), N = this->batch(), H = this->units(), G = 4 * H;
  const int64_t NH = N * H;
  const StateSlots slot{a.direction == 1, T_};
  Direction& s = direction(a.layer, a.direction);
  s.dgates.resize(Shape{T_, N, G});
  dh_a_.resize(Shape{N, H});
  dh_b_.resize(Shape{N, H});
  dc_.resize(Shape{N, H});
  const int P = this->threads();
  db_parts_.resize(Shape{P, G});
  const T* w_hh = this->weight_hh(a.layer, a.direction).value;
  const T* h = s.h.data();
  const T* c = s.c.data();
  T* dgates = s.dgates.data();
  s.w_hh.pack(false, G, H, w_hh, H);  // once for the T_ steps: (4H, H)
#pragma omp parallel num_threads(P) if (P > 1)
  {
    // Split by the team we got, which may be smaller than asked for (a nested region).
    const int p = omp_get_thread_num(), team = omp_get_num_threads();
    // BPTT on this thread's samples [n0, n1), from the last step processed back to the first.
    // dh holds d loss / d h_t from the later steps (at first: from the final state), dc
    // likewise for c_t.
    const Range mine = split(N, team, p);
    const int64_t n0 = mine.begin, M = mine.size();
    T* dh = dh_a_.data() + n0 * H;
    T* dh_prev = dh_b_.data() + n0 * H;
    T* dc = dc_.data() + n0 * H;
    load_rows(a.dh_last ? a.dh_last + n0 * a.ld_last : nullptr, a.ld_last, M, H, dh);
    std::fill(dc, dc + M * H, T(0));
    T* db = db_parts_.data() + p * G;  // this thread's column sums of dgates
    std::fill(db, db + G, T(0));
    for (int64_t k = 0; k < T_ && M > 0; ++k) {
      const int64_t t = slot.reverse ? k : T_ - 1 - k;
      T* da = dgates + (t * N + n0) * G;
      const uint8_t* act = this->active(t);
      lstm_cell_backward(M, H, s.gates.data() + (t * N + n0) * G, c + slot.prev(t) * NH + n0 * H,
                         s.tanh_c.data() + t * NH + n0 * H, dh,
                         a.dy ? a.dy + (t * N + n0) * a.ldy : nullptr, a.ldy, dc, da, dh_prev,
                         act ? act + n0 : nullptr);
      for (int64_t n = 0; n < M; ++n) {  // while the step's rows are in cache
        const T* row = da + n * G;
#pragma omp simd
        for (int64_t j = 0; j < G; ++j) db[j] += row[j];
      }
      // d loss / d h_{t-1} += d a_t W_hh, (M, H) += (M, 4H) x (4H, H); after the first step
      // only wanted for the gradient of h0.
      if (k + 1 < T_ || a.dh0)
        gemm_packed<T>(false, M, H, G, T(1), da, G, s.w_hh, T(1), dh_prev, H);
      std::swap(dh, dh_prev);
    }
    if (a.dh0) std::copy(dh, dh + M * H, a.dh0 + n0 * H);
    if (a.dc0) std::copy(dc, dc + M * H, a.dc0 + n0 * H);
#pragma omp barrier
    this->finish_backward(a, team, p, dgates, dgates, h + slot.first_read() * NH, db_parts_.data());
  }
}

template <class T>
const T* LSTM<T>::final_h(int64_t l, int64_t d) const {
  const Direction& s = dirs_[this->index(l, d)];
  return s.h.data() + StateSlots{d == 1, this->steps()}.last() * this->batch() * this->units();
}

template <class T>
const T* LSTM<T>::final_c(int64_t l, int64_t d) const {
  const Direction& s = dirs_[this->index(l, d)];
  return s.c.data() + StateSlots{d == 1, this->steps()}.last() * this->batch() * this->units();
}

template class LSTM<float>;
template class LSTM<double>;

}  // namespace redes
