// What the recurrent layers (LSTM, GRU) share: the inputs and their conventions, stacking,
// directions, dropout between layers, padding masks, the parameters, and the bookkeeping of
// a whole sequence. The cell itself (its gates, its forward step and its BPTT) is the derived
// class's, in lstm.cpp and gru.cpp.
//
// Inputs, in this order (the attributes say which are present):
//   x     (N, T, F)       batch-first, as PyTorch's batch_first=True
//   h0    (N, L*D, H)     if initial_state: the initial hidden state of layer l, direction d
//                         at index l*D + d (PyTorch's h_0 is (L*D, N, H): the same, batch
//                         first); zeros without it
//   c0    (N, L*D, H)     LSTM only, if initial_state: the initial cell state, likewise
//   mask  (N, T)          if masked: 1 at a real step, 0 at padding (any value >= 0.5 counts as
//                         1); padding only at the end of a sequence. A length of 0 is allowed.
// with L = layers, D = 2 if bidirectional else 1, H = units.
//
// Output:
//   return_sequences:  (N, T, D*H), the top layer's h_t at every step, the forward direction
//                      in [0, H) and the backward one in [H, 2H) (PyTorch's output); 0 at
//                      padding steps.
//   otherwise:         (N, D*H), the top layer's final hidden state per direction
//                      (PyTorch's h_n[-D:]): the forward direction's h at the last real step,
//                      the backward direction's h after it has read the whole sequence back to
//                      step 0 (Keras's Bidirectional does the same).
//
// Padding (mask 0) follows PyTorch's pack_padded_sequence: a padded step changes neither the
// state nor any gradient; the state carries through it unchanged, its output is 0, and the
// backward direction starts at the last real step.
//
// Dropout (training only, from ctx.rng) applies to the inputs of layers 1..L-1, as
// nn.LSTM(dropout=p) does; never to the input of layer 0 or to the output.
//
// Shapes are time-major inside, (T, N, ...): one step's rows are contiguous for the gemm of the
// recurrence. The input-to-gate products of all steps are one gemm ((T*N, F) x (F, G*H)),
// only the recurrent product runs step by step, and the weight gradients are one gemm each
// over all steps after BPTT. Buffers grow to the largest batch seen and are then reused:
// nothing allocates inside the step loop, nor in a step of a batch size seen before.
//
// Threads: the samples of a batch are independent through the whole recurrence, so each
// OpenMP thread runs the time loop on its own share of the samples (its rows of every step),
// calling a single-threaded gemm, and the big gemms are split between the threads by rows.
// There is one parallel region per direction and pass, rather than a hand-over between
// OpenMP and the BLAS's own threads at every step: on two cores those two thread pools
// spin-wait against each other (measured: 5x slower than one thread). While a recurrent
// layer runs, the BLAS is therefore set to one thread (and restored after).
#pragma once
#include <string>
#include <vector>

#include "redes/layer.hpp"

namespace redes {

struct RecurrentOptions {
  int64_t units = 0;              // H > 0
  int64_t layers = 1;             // L >= 1, stacked
  double dropout = 0.0;           // in [0, 1), between stacked layers
  bool return_sequences = false;  // (N, T, D*H) instead of (N, D*H)
  bool bidirectional = false;     // D = 2
  bool initial_state = false;     // inputs h0 (and c0) after x
  bool masked = false;            // input mask after x (and the initial state)
  std::string init = "torch";     // a scheme of redes/init.hpp; see Recurrent::init
};

template <class T>
class Recurrent : public Layer<T> {
 public:
  Shape setup(std::span<const Shape> inputs) override;
  // "torch": every weight and bias from U(-1/sqrt(H), 1/sqrt(H)), as nn.LSTM / nn.GRU.
  // Other schemes: W_ih by the scheme with fan_in F_l (the layer's input width) and
  // fan_out G*H, W_hh with fan_in H, biases 0.
  void init(Rng& rng) override;
  void forward(const ForwardCtx<T>& ctx) override;
  void backward(const BackwardCtx<T>& ctx) override;
  std::vector<Param<T>*> params() override;
  // At every step, each layer and direction: G*H gate rows against its input and its state.
  int64_t multiply_adds() const override {
    int64_t m = 0;
    for (int64_t l = 0; l < opt_.layers; ++l)
      m += directions() * gates_ * opt_.units * (in_features(l) + opt_.units);
    return steps_ * m;
  }

  const RecurrentOptions& options() const { return opt_; }
  int64_t directions() const { return opt_.bidirectional ? 2 : 1; }
  // Inputs this layer takes: 1 + (initial state: 1 or 2) + (mask: 1).
  size_t num_inputs() const;
  // The final hidden state of every layer and direction after the last forward, (N, L*D, H)
  // at index l*D + d: PyTorch's h_n, batch first. With padding, the state at the last real
  // step (forward direction) or at step 0 (backward direction).
  const BasicTensor<T>& final_hidden() const { return h_n_; }

 protected:
  // gates: G, the gate blocks per unit (4 for LSTM, 3 for GRU); states: 2 with a cell state
  // (LSTM: inputs h0 and c0), 1 without.
  Recurrent(RecurrentOptions opt, int64_t gates, int states);

  // What one direction of one layer reads and writes in forward.
  struct DirectionForward {
    int64_t layer, direction;  // direction 1 runs from t = T-1 down to 0
    const T* x;                // (T, N, F_l), time-major
    const T* h0;               // (N, H) with row stride ld0; null: zeros
    const T* c0;               // likewise, LSTM only
    int64_t ld0;
    T* y;  // (T, N, H) with row stride ldy: this direction's columns of the layer output
    int64_t ldy;
  };
  struct DirectionBackward {
    int64_t layer, direction;
    const T* x;   // (T, N, F_l) as in forward
    const T* dy;  // (T, N, H), row stride ldy: d loss / d y; null: none
    int64_t ldy;
    const T* dh_last;  // (N, H), row stride ld_last: d loss / d final hidden state; null: none
    int64_t ld_last;
    T* dx;   // (T, N, F_l): d loss / d x is ADDED here; null: not wanted
    T* dh0;  // (N, H): d loss / d h0 is WRITTEN here; null: not wanted
    T* dc0;  // likewise for c0 (LSTM)
  };
  virtual void forward_direction(const DirectionForward& a) = 0;
  // Adds the parameter gradients of this layer and direction.
  virtual void backward_direction(const DirectionBackward& a) = 0;
  // The final state (N, H) of a layer and direction after forward_direction.
  virtual const T* final_h(int64_t layer, int64_t direction) const = 0;
  virtual const T* final_c(int64_t layer, int64_t direction) const { return nullptr; }

  // The end of backward_direction, on thread p of a team of `team` (after a barrier that
  // follows BPTT): the parameter gradients over all steps for this thread's share of the G gate
  // rows (W_ih and b_ih from dgi against the inputs, W_hh and b_hh from dgh against h_read, the
  // state each step read), and d loss / d x += dgi W_ih for this thread's rows. dgi and dgh are
  // (T, N, G); the LSTM passes the same buffer twice, and with it db_parts (team, G): each
  // thread's column sums of that gradient over its samples, taken during BPTT while each step's
  // rows were in cache, which give both biases' gradients (null: summed here from dgi, dgh).
  void finish_backward(const DirectionBackward& a, int team, int p, const T* dgi, const T* dgh,
                       const T* h_read, const T* db_parts = nullptr);

  // For the derived classes.
  int threads() const { return threads_; }  // OpenMP threads of the current pass
  int64_t steps() const { return steps_; }  // T
  int64_t batch() const { return batch_; }  // N of the last forward
  int64_t units() const { return opt_.units; }
  int64_t in_features(int64_t layer) const {
    return layer == 0 ? features_ : directions() * opt_.units;
  }
  // Rows active at step t, (N) flags; null when no sequence is padded at t.
  const uint8_t* active(int64_t t) const {
    return has_padding_ ? active_.data() + t * batch_ : nullptr;
  }
  // The parameters of one layer and direction, in PyTorch's order.
  Param<T>& weight_ih(int64_t l, int64_t d) { return params_[index(l, d) * 4 + 0]; }
  Param<T>& weight_hh(int64_t l, int64_t d) { return params_[index(l, d) * 4 + 1]; }
  Param<T>& bias_ih(int64_t l, int64_t d) { return params_[index(l, d) * 4 + 2]; }
  Param<T>& bias_hh(int64_t l, int64_t d) { return params_[index(l, d) * 4 + 3]; }
  int64_t index(int64_t l, int64_t d) const { return l * directions() + d; }

  RecurrentOptions opt_;
  int64_t gates_;
  int states_;

 private:
  void read_mask(const TensorView<const T>& mask);
  int64_t steps_ = 0, features_ = 0, batch_ = 0;
  int threads_ = 1;
  std::vector<Param<T>> params_;  // per (l, d): weight_ih, weight_hh, bias_ih, bias_hh
  std::vector<uint8_t> active_;   // (T, N): step t of sample n is real
  bool has_padding_ = false;
  BasicTensor<T> xt_, dxt_;  // x and d loss / d x, time-major (T, N, F)
  // Per layer l: its output y (T, N, D*H) and d loss / d y; the input of layer l > 0 after
  // dropout (T, N, D*H) and the dropout mask (each 0 or 1 / (1 - p)).
  std::vector<BasicTensor<T>> y_, dy_, dropped_, drop_mask_, ddropped_;
  bool dropped_out_ = false;  // whether the last forward applied dropout
  BasicTensor<T> dh0_, dc0_;  // (N, H) scratch for one direction's initial-state gradients
  BasicTensor<T> h_n_;        // (N, L*D, H)

 protected:
  BasicTensor<T> c_n_;  // (N, L*D, H), the final cell states when the cell has them
};

// The state buffers of one direction hold T + 1 slots (N, H): at step t the forward direction
// reads slot t and writes slot t + 1 (slot 0 holds h0, slot T the final state); the backward
// direction reads slot t + 1 and writes slot t (slot T holds h0, slot 0 the final state).
// The states each step read are then slots [0, T) or [1, T + 1), contiguous for one gemm.
struct StateSlots {
  bool reverse;
  int64_t steps;
  int64_t initial() const { return reverse ? steps : 0; }
  int64_t last() const { return reverse ? 0 : steps; }
  int64_t prev(int64_t t) const { return reverse ? t + 1 : t; }
  int64_t cur(int64_t t) const { return reverse ? t : t + 1; }
  int64_t first_read() const { return reverse ? 1 : 0; }
};

// dst (N, H) = the rows of src (row stride ld), or zeros when src is null.
template <class T>
void load_rows(const T* src, int64_t ld, int64_t N, int64_t H, T* dst);

// Time-major <-> batch-first: src (A, B, row) to dst (B, A, row), dst = src or dst += src.
template <class T>
void swap_leading_dims(const T* src, T* dst, int64_t A, int64_t B, int64_t row, bool add);

// Part `part` of `parts` near-equal contiguous ranges that cover [0, n): one thread's share.
struct Range {
  int64_t begin, end;
  int64_t size() const { return end - begin; }
};
inline Range split(int64_t n, int parts, int part) {
  return {n * part / parts, n * (part + 1) / parts};
}

// Helpers for the cells, on the time-major buffers of a whole sequence (R = T*N rows).
// pre (R, G) = x (R, F) W^T + b1 + b2, with W (G, F); b2 may be null.
template <class T>
void input_projection(int64_t R, int64_t F, int64_t G, const T* x, const T* w, const T* b1,
                      const T* b2, T* pre);
// Parameter gradients of a product pre = x W^T + b over all R rows, for the rows g of W in
// `gates` (one thread's share of the G rows):
//   dW[g] (F) += sum_r dpre[r, g] x[r]   i.e.  dW (G, F) += dpre^T (G, R) x (R, F),
//   db[g] += sum_r dpre[r, g], summed in row order (db may be null).
template <class T>
void accumulate_param_grads(int64_t R, int64_t F, int64_t G, Range gates, const T* dpre, const T* x,
                            T* dw, T* db);

}  // namespace redes
