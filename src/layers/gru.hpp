// Gated recurrent unit (Cho et al. 2014), with PyTorch's nn.GRU equations, parameters and
// gate order (r, z, n):
//
//   r_t = s(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)          reset gate
//   z_t = s(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)          update gate
//   n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))  candidate
//   h_t = (1 - z_t) * n_t + z_t * h_{t-1}
//
// weight_ih_l{l} (3H, F_l) stacks W_ir, W_iz, W_in; weight_hh_l{l} (3H, H), bias_ih_l{l} and
// bias_hh_l{l} (3H) likewise; the backward direction's carry the suffix _reverse. The reset
// gate multiplies the hidden part of the candidate including b_hn (PyTorch's variant, not the
// original paper's r * h inside the product). There is no cell state: the initial state is
// one input, h0. Inputs, outputs, stacking, directions, masks and dropout: see
// layers/recurrent.hpp.
#pragma once
#include <vector>

#include "kernels/gemm.hpp"
#include "layers/recurrent.hpp"

namespace redes {

template <class T>
class GRU : public Recurrent<T> {
 public:
  // Throws ConfigError for bad options.
  explicit GRU(RecurrentOptions opt);

  std::string_view kind() const override { return "gru"; }

 protected:
  void forward_direction(const typename Recurrent<T>::DirectionForward& a) override;
  void backward_direction(const typename Recurrent<T>::DirectionBackward& a) override;
  const T* final_h(int64_t layer, int64_t direction) const override;

 private:
  // What forward keeps for BPTT, per layer and direction. h holds T + 1 state slots, h0 and
  // the state after every step (see StateSlots in layers/recurrent.hpp).
  struct Direction {
    BasicTensor<T> gates;     // (T, N, 3H): gi = x W_ih^T + b_ih, then (r, z, n)
    BasicTensor<T> hn;        // (T, N, H): W_hn h_{t-1} + b_hn
    BasicTensor<T> h;         // (T + 1, N, H)
    BasicTensor<T> dgi, dgh;  // (T, N, 3H): d loss / d gi and d loss / d (gh + b_hh)
    // W_hh^T and W_hh packed for the recurrent products of every step (kernels/gemm.hpp).
    PackedB<T> w_hh_t, w_hh;
  };
  Direction& direction(int64_t l, int64_t d);
  std::vector<Direction> dirs_;  // index(l, d)
  BasicTensor<T> gh_;            // (N, 3H): h_{t-1} W_hh^T of the current step
  BasicTensor<T> dh_a_, dh_b_;   // (N, H): the gradient BPTT carries from step to step
};

}  // namespace redes
