#include "kernels/onednn_conv.hpp"

#include <unordered_map>
#include <utility>

#include "kernels/onednn.hpp"

namespace redes {
namespace {

using dnnl::memory;
using onednn::engine;
using tag = memory::format_tag;

memory::desc f32(const memory::dims& dims, tag t) {
  return memory::desc(dims, memory::data_type::f32, t);
}

// A tensor in redes' plain layout (its data set at each call) and in the layout a primitive
// chose for it. They are one memory when the layouts agree and the result is not added; else
// the chosen one has a buffer of its own, and a reorder goes between them: plain to chosen for
// an input, chosen to plain for a result, added into the plain data with `add`.
struct Staged {
  memory plain, chosen;
  dnnl::reorder move;  // empty when they are one memory

  Staged() = default;
  Staged(const memory::desc& plain_md, const memory::desc& chosen_md, bool result, bool add) {
    plain = memory(plain_md, engine(), DNNL_MEMORY_NONE);
    if (chosen_md == plain_md && !add) {
      chosen = plain;
      return;
    }
    chosen = memory(chosen_md, engine());
    dnnl::primitive_attr attr;
    if (add) {
      dnnl::post_ops sum;
      sum.append_sum(1.0f);
      attr.set_post_ops(sum);
    }
    move = result ? dnnl::reorder(dnnl::reorder::primitive_desc(chosen, plain, attr))
                  : dnnl::reorder(dnnl::reorder::primitive_desc(plain, chosen, attr));
  }
  void set(const float* data) { plain.set_data_handle(const_cast<float*>(data)); }
  void in(dnnl::stream& s) {
    if (move) move.execute(s, plain, chosen);
  }
  void out(dnnl::stream& s) {
    if (move) move.execute(s, chosen, plain);
  }
};

// Each primitive's scratchpad is a buffer of the plan's, made once: none is allocated per call.
dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// Direct, not "auto": oneDNN's auto may pick Winograd, which rounds differently.
constexpr auto kAlgorithm = dnnl::algorithm::convolution_direct;

}  // namespace

// The memory descriptors and attributes every primitive of a plan is made from.
struct OnednnConv::Shapes {
  memory::desc x, w, b, y;
  memory::dims strides, dilates, pad_l, pad_r;
  static memory::desc any(const memory::desc& d) { return f32(d.dims(), tag::any); }
};

struct OnednnConv::Plan {
  int64_t n = 0;
  Shapes shapes;
  dnnl::stream stream{engine()};
  // The forward: x, w and b in, y out.
  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_forward fwd;
  Staged x, w, y;
  memory b;
  std::unordered_map<int, memory> fwd_args;
  // The backward, made at its first call (inference needs none of it).
  bool has_backward = false;
  // The weight gradient: x and dy in, dW and db out (db into a buffer, then added). bw_x is x
  // in its layout: the forward's copy when the layouts agree, else own_x.
  dnnl::convolution_backward_weights bwd_w;
  Staged own_x, dy, dw;
  Staged* bw_x = nullptr;
  memory db;
  std::unordered_map<int, memory> bwd_w_args;
  // The input gradient: dy and w in, dx out. bd_dy is dy in its layout: the weight gradient's
  // copy when the layouts agree, else own_dy.
  dnnl::convolution_backward_data bwd_d;
  Staged own_dy, bd_w, dx;
  Staged* bd_dy = nullptr;
  std::unordered_map<int, memory> bwd_d_args;
};

bool OnednnConv::available() { return onednn::tier_ready(); }

OnednnConv::OnednnConv(const Conv2dGeometry& g, int64_t filters, bool bias)
    : geom_(g), filters_(filters), bias_(bias) {}

OnednnConv::~OnednnConv() = default;

OnednnConv::Plan& OnednnConv::plan(int64_t N) {
  if (plans_[1] && plans_[1]->n == N) std::swap(plans_[0], plans_[1]);  // the latest first
  if (plans_[0] && plans_[0]->n == N) return *plans_[0];
  plans_[1] = std::move(plans_[0]);  // the older goes
  kept_for_ = nullptr;               // the kept copy was in a plan of its own
  auto p = std::make_unique<Plan>();
  p->n = N;
  const Conv2dGeometry& g = geom_;
  Shapes& d = p->shapes;
  d.x = f32({N, g.channels, g.height, g.width}, tag::nchw);
  d.w = f32({filters_, g.channels, g.kernel_h, g.kernel_w}, tag::oihw);
  d.b = bias_ ? f32({filters_}, tag::x) : memory::desc();
  d.y = f32({N, filters_, g.out_h(), g.out_w()}, tag::nchw);
  d.strides = {g.stride_h, g.stride_w};
  d.dilates = {g.dilation_h - 1, g.dilation_w - 1};  // oneDNN's 0 is none
  d.pad_l = {g.pad_top, g.pad_left};
  d.pad_r = {g.pad_bottom, g.pad_right};
  p->fwd_pd = dnnl::convolution_forward::primitive_desc(
      {dnnl::prop_kind::forward_training, kAlgorithm, Shapes::any(d.x), Shapes::any(d.w), d.b,
       Shapes::any(d.y), d.strides, d.dilates, d.pad_l, d.pad_r},
      user_scratchpad(), engine());
  const auto& fwd = p->fwd_pd;
  p->fwd = dnnl::convolution_forward(fwd);
  p->x = Staged(d.x, fwd.src_desc(), false, false);
  p->w = Staged(d.w, fwd.weights_desc(), false, false);
  p->y = Staged(d.y, fwd.dst_desc(), true, false);
  p->fwd_args = {{DNNL_ARG_SRC, p->x.chosen},
                 {DNNL_ARG_WEIGHTS, p->w.chosen},
                 {DNNL_ARG_DST, p->y.chosen},
                 {DNNL_ARG_SCRATCHPAD, memory(fwd.scratchpad_desc(), engine())}};
  if (bias_) {
    p->b = memory(d.b, engine(), DNNL_MEMORY_NONE);
    p->fwd_args[DNNL_ARG_BIAS] = p->b;
  }
  plans_[0] = std::move(p);
  return *plans_[0];
}

void OnednnConv::add_backward(Plan& p) {
  const Shapes& d = p.shapes;
  const auto& fwd = p.fwd_pd;
  const dnnl::convolution_backward_weights::primitive_desc bwd_w(
      {kAlgorithm, Shapes::any(d.x), Shapes::any(d.w), d.b, Shapes::any(d.y), d.strides, d.dilates,
       d.pad_l, d.pad_r},
      user_scratchpad(), engine(), fwd);
  p.bwd_w = dnnl::convolution_backward_weights(bwd_w);
  p.bw_x = &p.x;
  if (bwd_w.src_desc() != fwd.src_desc()) {
    p.own_x = Staged(d.x, bwd_w.src_desc(), false, false);
    p.bw_x = &p.own_x;
  }
  p.dy = Staged(d.y, bwd_w.diff_dst_desc(), false, false);
  p.dw = Staged(d.w, bwd_w.diff_weights_desc(), true, true);
  p.bwd_w_args = {{DNNL_ARG_SRC, p.bw_x->chosen},
                  {DNNL_ARG_DIFF_DST, p.dy.chosen},
                  {DNNL_ARG_DIFF_WEIGHTS, p.dw.chosen},
                  {DNNL_ARG_SCRATCHPAD, memory(bwd_w.scratchpad_desc(), engine())}};
  if (bias_) {
    p.db = memory(d.b, engine());
    p.bwd_w_args[DNNL_ARG_DIFF_BIAS] = p.db;
  }

  const dnnl::convolution_backward_data::primitive_desc bwd_d(
      {kAlgorithm, Shapes::any(d.x), Shapes::any(d.w), Shapes::any(d.y), d.strides, d.dilates,
       d.pad_l, d.pad_r},
      user_scratchpad(), engine(), fwd);
  p.bwd_d = dnnl::convolution_backward_data(bwd_d);
  p.bd_dy = &p.dy;
  if (bwd_d.diff_dst_desc() != bwd_w.diff_dst_desc()) {
    p.own_dy = Staged(d.y, bwd_d.diff_dst_desc(), false, false);
    p.bd_dy = &p.own_dy;
  }
  p.bd_w = Staged(d.w, bwd_d.weights_desc(), false, false);
  p.dx = Staged(d.x, bwd_d.diff_src_desc(), true, true);
  p.bwd_d_args = {{DNNL_ARG_DIFF_DST, p.bd_dy->chosen},
                  {DNNL_ARG_WEIGHTS, p.bd_w.chosen},
                  {DNNL_ARG_DIFF_SRC, p.dx.chosen},
                  {DNNL_ARG_SCRATCHPAD, memory(bwd_d.scratchpad_desc(), engine())}};
  p.has_backward = true;
}

void OnednnConv::forward(int64_t N, const float* x, const float* w, const float* b, float* y) {
  Plan& p = plan(N);
  p.x.set(x);
  p.x.in(p.stream);
  p.w.set(w);
  p.w.in(p.stream);
  if (bias_) p.b.set_data_handle(const_cast<float*>(b));
  p.y.set(y);
  p.fwd.execute(p.stream, p.fwd_args);
  p.y.out(p.stream);
  p.stream.wait();
  kept_for_ = x;
  kept_n_ = N;
}

void OnednnConv::backward(int64_t N, const float* x, const float* dy, const float* w, float* dw,
                          float* db, float* dx) {
  Plan& p = plan(N);
  if (!p.has_backward) add_backward(p);
  // x in the weight gradient's layout: the forward's copy if it was of this x.
  if (p.bw_x != &p.x || kept_for_ != x || kept_n_ != N) {
    p.bw_x->set(x);
    p.bw_x->in(p.stream);
  }
  p.dy.set(dy);
  p.dy.in(p.stream);
  p.dw.set(dw);
  p.bwd_w.execute(p.stream, p.bwd_w_args);
  p.dw.out(p.stream);
  if (dx) {
    if (p.bd_dy != &p.dy) {
      p.bd_dy->set(dy);
      p.bd_dy->in(p.stream);
    }
    p.bd_w.set(w);
    p.bd_w.in(p.stream);
    p.dx.set(dx);
    p.bwd_d.execute(p.stream, p.bwd_d_args);
    p.dx.out(p.stream);
  }
  p.stream.wait();
  if (bias_) {
    const auto* g = static_cast<const float*>(p.db.get_data_handle());
    for (int64_t oc = 0; oc < filters_; ++oc) db[oc] += g[oc];
  }
}

}  // namespace redes
