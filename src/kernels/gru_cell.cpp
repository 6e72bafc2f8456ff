#include "kernels/gru_cell.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/kernel_table.hpp"
#include "kernels/rnn_math.hpp"

namespace redes {
namespace {

// The rows for the scalar tier and for double (kernels/rnn_rows_body.hpp).
namespace baseline {
#define REDES_TIER
#include "kernels/rnn_rows_body.hpp"
#undef REDES_TIER
}  // namespace baseline

}  // namespace

template <class T>
void gru_cell_forward(int64_t N, int64_t H, T* gates, const T* gh, const T* b_hh, T* hn,
                      const T* h_prev, T* h, T* y, int64_t ldy, const uint8_t* active) {
  auto forward_row = &baseline::gru_forward_row<T>;  // or the active tier's, for float
  if constexpr (std::is_same_v<T, float>)
    if (kernels().rnn.gru_forward) forward_row = kernels().rnn.gru_forward;
  for (int64_t n = 0; n < N; ++n) {
    const int64_t r = n * H;
    T* yn = y ? y + n * ldy : nullptr;
    if (active && !active[n]) {
      std::copy(h_prev + r, h_prev + r + H, h + r);
      std::fill(hn + r, hn + r + H, T(0));
      if (yn) std::fill(yn, yn + H, T(0));
      continue;
    }
    forward_row(H, gates + 3 * r, gh + 3 * r, b_hh, hn + r, h_prev + r, h + r, yn ? yn : h + r);
  }
}

template <class T>
void gru_cell_backward(int64_t N, int64_t H, const T* gates, const T* hn, const T* h_prev,
                       const T* dh, const T* dy, int64_t ldy, T* dgi, T* dgh, T* dh_prev,
                       const uint8_t* active) {
  auto backward_row = &baseline::gru_backward_row<T>;  // or the active tier's, for float
  if constexpr (std::is_same_v<T, float>)
    if (kernels().rnn.gru_backward) backward_row = kernels().rnn.gru_backward;
  for (int64_t n = 0; n < N; ++n) {
    const int64_t r = n * H;
    if (active && !active[n]) {
      std::fill(dgi + 3 * r, dgi + 3 * r + 3 * H, T(0));
      std::fill(dgh + 3 * r, dgh + 3 * r + 3 * H, T(0));
      std::copy(dh + r, dh + r + H, dh_prev + r);
      continue;
    }
    backward_row(H, gates + 3 * r, hn + r, h_prev + r, dh + r, dy ? dy + n * ldy : nullptr,
                 dgi + 3 * r, dgh + 3 * r, dh_prev + r);
  }
}

template <class T>
void gru_cell_forward_reference(int64_t N, int64_t H, T* gates, const T* gh, const T* b_hh, T* hn,
                                const T* h_prev, T* h, T* y, int64_t ldy, const uint8_t* active) {
  auto sigmoid = [](T x) { return T(1) / (T(1) + std::exp(-x)); };
  for (int64_t n = 0; n < N; ++n) {
    T* a = gates + n * 3 * H;
    const T* g = gh + n * 3 * H;
    const bool on = !active || active[n];
    for (int64_t j = 0; j < H; ++j) {
      const int64_t k = n * H + j;
      if (!on) {
        h[k] = h_prev[k];
        hn[k] = T(0);
        if (y) y[n * ldy + j] = T(0);
        continue;
      }
      const T r = sigmoid(a[j] + g[j] + b_hh[j]);
      const T z = sigmoid(a[H + j] + g[H + j] + b_hh[H + j]);
      hn[k] = g[2 * H + j] + b_hh[2 * H + j];
      const T nn = std::tanh(a[2 * H + j] + r * hn[k]);
      a[j] = r;
      a[H + j] = z;
      a[2 * H + j] = nn;
      h[k] = (T(1) - z) * nn + z * h_prev[k];
      if (y) y[n * ldy + j] = h[k];
    }
  }
}

template <class T>
void gru_cell_backward_reference(int64_t N, int64_t H, const T* gates, const T* hn, const T* h_prev,
                                 const T* dh, const T* dy, int64_t ldy, T* dgi, T* dgh, T* dh_prev,
                                 const uint8_t* active) {
  for (int64_t n = 0; n < N; ++n) {
    const T* a = gates + n * 3 * H;
    T* di = dgi + n * 3 * H;
    T* dg = dgh + n * 3 * H;
    const bool on = !active || active[n];
    for (int64_t j = 0; j < H; ++j) {
      const int64_t k = n * H + j;
      if (!on) {
        di[j] = di[H + j] = di[2 * H + j] = T(0);
        dg[j] = dg[H + j] = dg[2 * H + j] = T(0);
        dh_prev[k] = dh[k];
        continue;
      }
      const T r = a[j], z = a[H + j], nn = a[2 * H + j];
      const T dht = dh[k] + (dy ? dy[n * ldy + j] : T(0));
      const T dn = dht * (T(1) - z), dz = dht * (h_prev[k] - nn);
      const T dan = dn * (T(1) - nn * nn);
      const T dr = dan * hn[k];
      di[j] = dg[j] = dr * r * (T(1) - r);
      di[H + j] = dg[H + j] = dz * z * (T(1) - z);
      di[2 * H + j] = dan;
      dg[2 * H + j] = dan * r;
      dh_prev[k] = dht * z;
    }
  }
}

#define REDES_INSTANTIATE_GRU_CELL(T)                                                           \
  template void gru_cell_forward<T>(int64_t, int64_t, T*, const T*, const T*, T*, const T*, T*, \
                                    T*, int64_t, const uint8_t*);                               \
  template void gru_cell_forward_reference<T>(int64_t, int64_t, T*, const T*, const T*, T*,     \
                                              const T*, T*, T*, int64_t, const uint8_t*);       \
  template void gru_cell_backward<T>(int64_t, int64_t, const T*, const T*, const T*, const T*,  \
                                     const T*, int64_t, T*, T*, T*, const uint8_t*);            \
  template void gru_cell_backward_reference<T>(int64_t, int64_t, const T*, const T*, const T*,  \
                                               const T*, const T*, int64_t, T*, T*, T*,         \
                                               const uint8_t*);
REDES_INSTANTIATE_GRU_CELL(float)
REDES_INSTANTIATE_GRU_CELL(double)
#undef REDES_INSTANTIATE_GRU_CELL

}  // namespace redes
