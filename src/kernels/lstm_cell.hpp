// The element-wise part of one LSTM time step, for a batch of rows, with PyTorch's nn.LSTM
// equations and gate order (i, f, g, o). The matrix products around it are gemm calls made
// by the layer (src/layers/lstm.cpp):
//
//   a = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh       a is (N, 4H) = [a_i, a_f, a_g, a_o]
//   i = s(a_i)  f = s(a_f)  g = tanh(a_g)  o = s(a_o)    (s: the logistic sigmoid)
//   c_t = f * c_{t-1} + i * g
//   h_t = o * tanh(c_t)
//
// Rows whose `active` flag is 0 are padding steps of a shorter sequence: they carry the state
// through unchanged (c_t = c_{t-1}, h_t = h_{t-1}), output 0 and pass gradients straight back.
// `active` may be null: every row is active.
//
// lstm_cell_forward / lstm_cell_backward are the fast versions (vectorised, a polynomial exp
// for float); the _reference twins are plain scalar loops with libm that the tests compare
// them with. Both are serial: the layer gives each thread its own rows (samples).
#pragma once
#include <cstdint>

namespace redes {

// gates (N, 4H): the pre-activations a on entry, the activations (i, f, g, o) on return.
// c_prev, h_prev (N, H): the state of step t-1. c, tanh_c, h (N, H): written, the state of
// step t and tanh(c_t) (kept for backward). y (N, H) with row stride ldy: the output of step t
// (h_t, or 0 for padding); may be null. All (N, H) arrays except y have row stride H.
template <class T>
void lstm_cell_forward(int64_t N, int64_t H, T* gates, const T* c_prev, const T* h_prev, T* c,
                       T* tanh_c, T* h, T* y, int64_t ldy, const uint8_t* active);
template <class T>
void lstm_cell_forward_reference(int64_t N, int64_t H, T* gates, const T* c_prev, const T* h_prev,
                                 T* c, T* tanh_c, T* h, T* y, int64_t ldy, const uint8_t* active);

// Backward through one step (BPTT), given what forward kept (gates = (i, f, g, o), c_prev,
// tanh_c) and
//   dh (N, H): d loss / d h_t from the later steps (the recurrence, or the final state),
//   dy (N, H), row stride ldy: d loss / d y_t from the output at t; may be null (none),
//   dc (N, H): d loss / d c_t from the later steps; overwritten with d loss / d c_{t-1}.
// With dh_t = dh + dy and dc_t = dc + dh_t o (1 - tanh^2 c_t):
//   do = dh_t tanh(c_t)   di = dc_t g   df = dc_t c_{t-1}   dg = dc_t i   dc_{t-1} = dc_t f
// and through the activations (s' = s (1 - s), tanh' = 1 - tanh^2):
//   dgates = [di i (1 - i), df f (1 - f), dg (1 - g^2), do o (1 - o)]    (N, 4H), written
// dh_prev (N, H) is written with the part of d loss / d h_{t-1} that does not go through the
// gates: 0 for an active row (the caller then adds dgates W_hh with gemm), dh for a padding row
// (whose dgates are 0 and whose dc passes through unchanged).
template <class T>
void lstm_cell_backward(int64_t N, int64_t H, const T* gates, const T* c_prev, const T* tanh_c,
                        const T* dh, const T* dy, int64_t ldy, T* dc, T* dgates, T* dh_prev,
                        const uint8_t* active);
template <class T>
void lstm_cell_backward_reference(int64_t N, int64_t H, const T* gates, const T* c_prev,
                                  const T* tanh_c, const T* dh, const T* dy, int64_t ldy, T* dc,
                                  T* dgates, T* dh_prev, const uint8_t* active);

}  // namespace redes
