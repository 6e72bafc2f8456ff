// The element-wise part of one GRU time step, for a batch of rows, with PyTorch's nn.GRU
// equations and gate order (r, z, n). The matrix products around it are gemm calls made by
// the layer (src/layers/gru.cpp):
//
//   gi = x_t W_ih^T + b_ih       (N, 3H) = [gi_r, gi_z, gi_n]
//   gh = h_{t-1} W_hh^T          (N, 3H) = [gh_r, gh_z, gh_n], without b_hh
//   r = s(gi_r + gh_r + b_hr)    z = s(gi_z + gh_z + b_hz)          (s: the logistic sigmoid)
//   hn = gh_n + b_hn             n = tanh(gi_n + r * hn)
//   h_t = (1 - z) * n + z * h_{t-1}
//
// b_hn sits inside the product with r, so the hidden part of the n gate (hn) is kept apart
// from the input part. Rows whose `active` flag is 0 are padding: they carry h through,
// output 0 and pass gradients straight back. `active` may be null: every row is active.
// The fast versions are vectorised (a polynomial exp for float); the _reference twins are
// plain scalar loops with libm that the tests compare with. Both are serial: the layer gives
// each thread its own rows (samples).
#pragma once
#include <cstdint>

namespace redes {

// gates (N, 3H): gi on entry, the activations (r, z, n) on return. gh (N, 3H), b_hh (3H).
// hn (N, H): written, gh_n + b_hn (kept for backward). h_prev, h (N, H): the states of steps
// t-1 and t. y (N, H) with row stride ldy: the output of step t (h_t, or 0 for padding); may
// be null.
template <class T>
void gru_cell_forward(int64_t N, int64_t H, T* gates, const T* gh, const T* b_hh, T* hn,
                      const T* h_prev, T* h, T* y, int64_t ldy, const uint8_t* active);
template <class T>
void gru_cell_forward_reference(int64_t N, int64_t H, T* gates, const T* gh, const T* b_hh, T* hn,
                                const T* h_prev, T* h, T* y, int64_t ldy, const uint8_t* active);

// Backward through one step (BPTT), given what forward kept (gates = (r, z, n), hn, h_prev)
// and dh (N, H) = d loss / d h_t from the later steps, dy (N, H, row stride ldy; may be null)
// = d loss / d y_t from the output at t. With dh_t = dh + dy:
//   dn = dh_t (1 - z)    dz = dh_t (h_{t-1} - n)    direct part of dh_{t-1} = dh_t z
//   da_n = dn (1 - n^2)  (the pre-activation of n)   dr = da_n hn
//   da_r = dr r (1 - r)  da_z = dz z (1 - z)
// writes dgi = [da_r, da_z, da_n] (N, 3H): the gradient of gi, so of x W_ih^T + b_ih;
//        dgh = [da_r, da_z, da_n r] (N, 3H): the gradient of gh + b_hh;
//        dh_prev (N, H) = dh_t z (the caller then adds dgh W_hh with gemm).
// A padding row writes dgi = dgh = 0 and dh_prev = dh.
template <class T>
void gru_cell_backward(int64_t N, int64_t H, const T* gates, const T* hn, const T* h_prev,
                       const T* dh, const T* dy, int64_t ldy, T* dgi, T* dgh, T* dh_prev,
                       const uint8_t* active);
template <class T>
void gru_cell_backward_reference(int64_t N, int64_t H, const T* gates, const T* hn, const T* h_prev,
                                 const T* dh, const T* dy, int64_t ldy, T* dgi, T* dgh, T* dh_prev,
                                 const uint8_t* active);

}  // namespace redes
