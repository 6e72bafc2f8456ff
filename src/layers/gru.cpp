#include "layers/gru.hpp"

#include <omp.h>

#include <algorithm>
#include <utility>

#include "kernels/gemm.hpp"
#include "kernels/gru_cell.hpp"

namespace redes {

template <class T>
GRU<T>::GRU(RecurrentOptions opt) : Recurrent<T>(std::move(opt), 3, 1) {}

template <class T>
typename GRU<T>::Direction& GRU<T>::direction(int64_t l, int64_t d) {
  const size_t count = this->opt_.layers * this->directions();
  if (dirs_.size() != count) dirs_.resize(count);
  return dirs_[this->index(l, d)];
}

template <class T>
void GRU<T>::forward_direction(const typename Recurrent<T>::DirectionForward& a) {
  const int64_t T_ = this->steps(), N = this->batch(), H = this->units(), G = 3 * H;
  const int64_t F = this->in_features(a.layer), NH = N * H;
  const StateSlots slot{a.direction == 1, T_};
  Direction& s = direction(a.layer, a.direction);
  s.gates.resize(Shape{T_, N, G});
  s.hn.resize(Shape{T_, N, H});
  s.h.resize(Shape{T_ + 1, N, H});
  gh_.resize(Shape{N, G});
  const T* w_ih = this->weight_ih(a.layer, a.direction).value;
  const T* b_ih = this->bias_ih(a.layer, a.direction).value;
  const T* w_hh = this->weight_hh(a.layer, a.direction).value;
  const T* b_hh = this->bias_hh(a.layer, a.direction).value;
  T* gates = s.gates.data();
  T* h = s.h.data();
  s.w_hh_t.pack(true, H, G, w_hh, H);  // once for the T_ steps: (H, 3H) = W_hh^T
  const int P = this->threads();
#pragma omp parallel num_threads(P) if (P > 1)
  {
    // Split by the team we got, which may be smaller than asked for (a nested region).
    const int p = omp_get_thread_num(), team = omp_get_num_threads();
    // gi = x W_ih^T + b_ih for every step at once, (T*N, 3H) = (T*N, F) x (F, 3H): this
    // thread's share of the rows. b_hh stays out: its n slice sits inside the product with r,
    // so the cell adds it.
    const Range rows = split(T_ * N, team, p);
    input_projection(rows.size(), F, G, a.x + rows.begin * F, w_ih, b_ih,
                     static_cast<const T*>(nullptr), gates + rows.begin * G);
#pragma omp barrier
    // The recurrence on this thread's samples [n0, n1), which need no one else's.
    const Range mine = split(N, team, p);
    const int64_t n0 = mine.begin, M = mine.size();
    T* gh = gh_.data() + n0 * G;
    load_rows(a.h0 ? a.h0 + n0 * a.ld0 : nullptr, a.ld0, M, H, h + slot.initial() * NH + n0 * H);
    for (int64_t k = 0; k < T_ && M > 0; ++k) {
      const int64_t t = slot.reverse ? T_ - 1 - k : k;
      const T* h_prev = h + slot.prev(t) * NH + n0 * H;
      // The recurrence: gh = h_{t-1} W_hh^T, (M, 3H) = (M, H) x (H, 3H); zero while h_{t-1} is
      // the zero initial state.
      if (k > 0 || a.h0) {
        gemm_packed<T>(false, M, G, H, T(1), h_prev, H, s.w_hh_t, T(0), gh, G);
      } else {
        std::fill(gh, gh + M * G, T(0));
      }
      const uint8_t* act = this->active(t);
      gru_cell_forward(M, H, gates + (t * N + n0) * G, gh, b_hh, s.hn.data() + t * NH + n0 * H,
                       h_prev, h + slot.cur(t) * NH + n0 * H, a.y + (t * N + n0) * a.ldy, a.ldy,
                       act ? act + n0 : nullptr);
    }
  }
}

template <class T>
void GRU<T>::backward_direction(const typename Recurrent<T>::DirectionBackward& a) {
  const int64_t T_ = this->steps(), N = this->batch(), H = this->units(), G = 3 * H;
  const int64_t NH = N * H;
  const StateSlots slot{a.direction == 1, T_};
  Direction& s = direction(a.layer, a.direction);
  s.dgi.resize(Shape{T_, N, G});
  s.dgh.resize(Shape{T_, N, G});
  dh_a_.resize(Shape{N, H});
  dh_b_.resize(Shape{N, H});
  const T* w_hh = this->weight_hh(a.layer, a.direction).value;
  const T* h = s.h.data();
  T* dgi = s.dgi.data();
  T* dgh = s.dgh.data();
  s.w_hh.pack(false, G, H, w_hh, H);  // once for the T_ steps: (3H, H)
  const int P = this->threads();
#pragma omp parallel num_threads(P) if (P > 1)
  {
    // Split by the team we got, which may be smaller than asked for (a nested region).
    const int p = omp_get_thread_num(), team = omp_get_num_threads();
    // BPTT on this thread's samples [n0, n1), from the last step processed back to the first;
    // dh holds d loss / d h_t from the later steps (at first: from the final state).
    const Range mine = split(N, team, p);
    const int64_t n0 = mine.begin, M = mine.size();
    T* dh = dh_a_.data() + n0 * H;
    T* dh_prev = dh_b_.data() + n0 * H;
    load_rows(a.dh_last ? a.dh_last + n0 * a.ld_last : nullptr, a.ld_last, M, H, dh);
    for (int64_t k = 0; k < T_ && M > 0; ++k) {
      const int64_t t = slot.reverse ? k : T_ - 1 - k;
      T* dgh_t = dgh + (t * N + n0) * G;
      const uint8_t* act = this->active(t);
      // The cell writes d loss / d h_{t-1} = dh_t z (the direct path) ...
      gru_cell_backward(M, H, s.gates.data() + (t * N + n0) * G, s.hn.data() + t * NH + n0 * H,
                        h + slot.prev(t) * NH + n0 * H, dh,
                        a.dy ? a.dy + (t * N + n0) * a.ldy : nullptr, a.ldy, dgi + (t * N + n0) * G,
                        dgh_t, dh_prev, act ? act + n0 : nullptr);
      // ... and the path through the gates adds dgh W_hh, (M, H) += (M, 3H) x (3H, H); after
      // the first step only wanted for the gradient of h0.
      if (k + 1 < T_ || a.dh0)
        gemm_packed<T>(false, M, H, G, T(1), dgh_t, G, s.w_hh, T(1), dh_prev, H);
      std::swap(dh, dh_prev);
    }
    if (a.dh0) std::copy(dh, dh + M * H, a.dh0 + n0 * H);
#pragma omp barrier
    this->finish_backward(a, team, p, dgi, dgh, h + slot.first_read() * NH);
  }
}

template <class T>
const T* GRU<T>::final_h(int64_t l, int64_t d) const {
  const Direction& s = dirs_[this->index(l, d)];
  return s.h.data() + StateSlots{d == 1, this->steps()}.last() * this->batch() * this->units();
}

template class GRU<float>;
template class GRU<double>;

}  // namespace redes
