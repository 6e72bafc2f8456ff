// Long short-term memory (Hochreiter & Schmidhuber 1997), with PyTorch's nn.LSTM equations,
// parameters and gate order (i, f, g, o):
//
//   i_t = s(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate
//   f_t = s(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate
//   g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   candidate cell
//   o_t = s(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
//   c_t = f_t * c_{t-1} + i_t * g_t
//   h_t = o_t * tanh(c_t)
//
// weight_ih_l{l} (4H, F_l) stacks W_ii, W_if, W_ig, W_io; weight_hh_l{l} (4H, H), bias_ih_l{l}
// and bias_hh_l{l} (4H) likewise; the backward direction's carry the suffix _reverse.
// Inputs, outputs, stacking, directions, masks and dropout: see layers/recurrent.hpp.
//
// forget_bias: after the initialisation, the forget slice of bias_ih is set to forget_bias
// and that of bias_hh to 0, so the forget gate starts at s(forget_bias + W x + W h): with the
// default 1 the cell remembers by default (Jozefowicz et al. 2015; Keras's unit_forget_bias).
// It only affects init(); parameters loaded from a file or a test are used as they are.
#pragma once
#include <vector>

#include "kernels/gemm.hpp"
#include "layers/recurrent.hpp"

namespace redes {

template <class T>
class LSTM : public Recurrent<T> {
 public:
  // Throws ConfigError for bad options or a non-finite forget_bias.
  explicit LSTM(RecurrentOptions opt, double forget_bias = 1.0);

  std::string_view kind() const override { return "lstm"; }
  void init(Rng& rng) override;
  double forget_bias() const { return forget_bias_; }
  // The final cell state of every layer and direction after the last forward, (N, L*D, H),
  // as final_hidden() (PyTorch's c_n, batch first).
  const BasicTensor<T>& final_cell() const { return this->c_n_; }

 protected:
  void forward_direction(const typename Recurrent<T>::DirectionForward& a) override;
  void backward_direction(const typename Recurrent<T>::DirectionBackward& a) override;
  const T* final_h(int64_t layer, int64_t direction) const override;
  const T* final_c(int64_t layer, int64_t direction) const override;

 private:
  // What forward keeps for BPTT, per layer and direction. The state buffers hold T + 1 slots,
  // h0 and the state after every step (see StateSlots in layers/recurrent.hpp).
  struct Direction {
    BasicTensor<T> gates;   // (T, N, 4H): the pre-activations a_t, then (i, f, g, o)
    BasicTensor<T> h, c;    // (T + 1, N, H)
    BasicTensor<T> tanh_c;  // (T, N, H)
    BasicTensor<T> dgates;  // (T, N, 4H): d loss / d a_t
    // W_hh^T and W_hh packed for the recurrent products of every step (kernels/gemm.hpp).
    PackedB<T> w_hh_t, w_hh;
  };
  Direction& direction(int64_t l, int64_t d);
  double forget_bias_;
  std::vector<Direction> dirs_;      // index(l, d)
  BasicTensor<T> dh_a_, dh_b_, dc_;  // (N, H): the gradients BPTT carries from step to step
  BasicTensor<T> db_parts_;          // (threads, 4H): each thread's column sums of dgates
};

}  // namespace redes
