#include "kernels/lstm_cell.hpp"

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
void lstm_cell_forward(int64_t N, int64_t H, T* gates, const T* c_prev, const T* h_prev, T* c,
                       T* tanh_c, T* h, T* y, int64_t ldy, const uint8_t* active) {
  auto forward_row = &baseline::lstm_forward_row<T>;  // or the active tier's, for float
  if constexpr (std::is_same_v<T, float>)
    if (kernels().rnn.lstm_forward) forward_row = kernels().rnn.lstm_forward;
  for (int64_t n = 0; n < N; ++n) {
    const int64_t r = n * H;
    T* yn = y ? y + n * ldy : nullptr;
    if (active && !active[n]) {
      // Padding: the state carries through, the output is 0.
      std::copy(c_prev + r, c_prev + r + H, c + r);
      std::copy(h_prev + r, h_prev + r + H, h + r);
      std::fill(tanh_c + r, tanh_c + r + H, T(0));
      if (yn) std::fill(yn, yn + H, T(0));
      continue;
    }
    // Without an output the row writes h twice into h (harmless, and keeps one kernel).
    forward_row(H, gates + 4 * r, c_prev + r, c + r, tanh_c + r, h + r, yn ? yn : h + r);
  }
}

template <class T>
void lstm_cell_backward(int64_t N, int64_t H, const T* gates, const T* c_prev, const T* tanh_c,
                        const T* dh, const T* dy, int64_t ldy, T* dc, T* dgates, T* dh_prev,
                        const uint8_t* active) {
  auto backward_row = &baseline::lstm_backward_row<T>;  // or the active tier's, for float
  auto backward_row_no_dy = &baseline::lstm_backward_row_no_dy<T>;
  if constexpr (std::is_same_v<T, float>) {
    const RnnRows& rows = kernels().rnn;
    if (rows.lstm_backward) backward_row = rows.lstm_backward;
    if (rows.lstm_backward_no_dy) backward_row_no_dy = rows.lstm_backward_no_dy;
  }
  for (int64_t n = 0; n < N; ++n) {
    const int64_t r = n * H;
    if (active && !active[n]) {
      // Padding: h_t = h_{t-1} and c_t = c_{t-1}, so both gradients pass through; the gates
      // took no part.
      std::fill(dgates + 4 * r, dgates + 4 * r + 4 * H, T(0));
      std::copy(dh + r, dh + r + H, dh_prev + r);
      continue;
    }
    if (dy) {
      backward_row(H, gates + 4 * r, c_prev + r, tanh_c + r, dh + r, dy + n * ldy, dc + r,
                   dgates + 4 * r);
    } else {
      backward_row_no_dy(H, gates + 4 * r, c_prev + r, tanh_c + r, dh + r, dc + r, dgates + 4 * r);
    }
    std::fill(dh_prev + r, dh_prev + r + H, T(0));
  }
}

// The reference: the equations of the header, one element at a time, with libm.
template <class T>
void lstm_cell_forward_reference(int64_t N, int64_t H, T* gates, const T* c_prev, const T* h_prev,
                                 T* c, T* tanh_c, T* h, T* y, int64_t ldy, const uint8_t* active) {
  auto sigmoid = [](T x) { return T(1) / (T(1) + std::exp(-x)); };
  for (int64_t n = 0; n < N; ++n) {
    T* a = gates + n * 4 * H;
    const bool on = !active || active[n];
    for (int64_t j = 0; j < H; ++j) {
      const int64_t k = n * H + j;
      if (!on) {
        c[k] = c_prev[k];
        h[k] = h_prev[k];
        tanh_c[k] = T(0);
        if (y) y[n * ldy + j] = T(0);
        continue;
      }
      const T i = sigmoid(a[j]), f = sigmoid(a[H + j]);
      const T g = std::tanh(a[2 * H + j]), o = sigmoid(a[3 * H + j]);
      a[j] = i;
      a[H + j] = f;
      a[2 * H + j] = g;
      a[3 * H + j] = o;
      c[k] = f * c_prev[k] + i * g;
      tanh_c[k] = std::tanh(c[k]);
      h[k] = o * tanh_c[k];
      if (y) y[n * ldy + j] = h[k];
    }
  }
}

template <class T>
void lstm_cell_backward_reference(int64_t N, int64_t H, const T* gates, const T* c_prev,
                                  const T* tanh_c, const T* dh, const T* dy, int64_t ldy, T* dc,
                                  T* dgates, T* dh_prev, const uint8_t* active) {
  for (int64_t n = 0; n < N; ++n) {
    const T* a = gates + n * 4 * H;
    T* da = dgates + n * 4 * H;
    const bool on = !active || active[n];
    for (int64_t j = 0; j < H; ++j) {
      const int64_t k = n * H + j;
      if (!on) {
        da[j] = da[H + j] = da[2 * H + j] = da[3 * H + j] = T(0);
        dh_prev[k] = dh[k];
        continue;
      }
      const T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
      const T dht = dh[k] + (dy ? dy[n * ldy + j] : T(0));
      const T dct = dc[k] + dht * o * (T(1) - tanh_c[k] * tanh_c[k]);
      const T di = dct * g, df = dct * c_prev[k], dg = dct * i, d_o = dht * tanh_c[k];
      da[j] = di * i * (T(1) - i);
      da[H + j] = df * f * (T(1) - f);
      da[2 * H + j] = dg * (T(1) - g * g);
      da[3 * H + j] = d_o * o * (T(1) - o);
      dc[k] = dct * f;
      dh_prev[k] = T(0);
    }
  }
}

#define REDES_INSTANTIATE_LSTM_CELL(T)                                                           \
  template void lstm_cell_forward<T>(int64_t, int64_t, T*, const T*, const T*, T*, T*, T*, T*,   \
                                     int64_t, const uint8_t*);                                   \
  template void lstm_cell_forward_reference<T>(int64_t, int64_t, T*, const T*, const T*, T*, T*, \
                                               T*, T*, int64_t, const uint8_t*);                 \
  template void lstm_cell_backward<T>(int64_t, int64_t, const T*, const T*, const T*, const T*,  \
                                      const T*, int64_t, T*, T*, T*, const uint8_t*);            \
  template void lstm_cell_backward_reference<T>(int64_t, int64_t, const T*, const T*, const T*,  \
                                                const T*, const T*, int64_t, T*, T*, T*,         \
                                                const uint8_t*);
REDES_INSTANTIATE_LSTM_CELL(float)
REDES_INSTANTIATE_LSTM_CELL(double)
#undef REDES_INSTANTIATE_LSTM_CELL

}  // namespace redes
