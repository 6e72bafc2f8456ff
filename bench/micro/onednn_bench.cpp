// oneDNN's convolutions (Debian's libdnnl-dev, the library PyTorch runs these layers with on
// x86 CPUs) on the conv2d layers of LeNet-5 and the convnet, one pass at a time, without the
// reorders between redes' layouts and oneDNN's: the yardstick by which Conv2d hands a layer to
// oneDNN or keeps its own kernels (conv_bench.cpp times the layers as they run, reorders
// included).
//
//   onednn/<model>/<layer>.forward/<formats>           a training forward, with bias
//   onednn/<model>/<layer>.backward_data/<formats>     dx (not for a model's first layer)
//   onednn/<model>/<layer>.backward_weights/<formats>  dW and db
//
// <formats> nchw: the plain layouts redes' layers take (x and y nchw, the weights oihw), given
// to the primitive as they are. <formats> any: the layouts the primitive prefers
// (format_tag::any), the data reordered into them once before timing: oneDNN at its best,
// which redes would reach only by keeping its tensors in those layouts between layers.
// The label is the implementation oneDNN picked. GFLOP/s counts 2 per multiply-add of the
// product, which each pass has as many of as the forward: conv_bench.cpp's backward, dW and
// dx together, does twice the work of one pass here.
// Before timing, each benchmark checks its result against redes' reference convolution.
// oneDNN runs on the OpenMP (libgomp) redes runs on: --threads applies to it as well.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "conv_shapes.hpp"
#include "peak.hpp"

namespace redes::bench {
namespace {

using dnnl::memory;
using tag = memory::format_tag;

// LayerData of a conv2d shape (redes' Conv2d for its geometry, weights and bias), with the
// output, input gradient and parameter gradients of the reference convolution.
struct Reference : LayerData {
  explicit Reference(const LayerShape& s) : LayerData(s) {
    // The plain loops of kernels/im2col.hpp, not the layer, which may run oneDNN itself.
    const Conv2dGeometry& g = geometry();
    const int64_t OC = weight().shape[0];
    conv2d_reference_forward<float>(g, 1, OC, s.batch, x.data(), weight().value, bias().value,
                                    y.data());
    conv2d_reference_backward<float>(g, 1, OC, s.batch, x.data(), weight().value, dy.data(),
                                     dx.data(), weight().grad, bias().grad);
  }
  const Conv2dGeometry& geometry() const {
    return static_cast<const Conv2d<float>&>(*layer).geometry();
  }
  Param<float>& weight() { return *layer->params()[0]; }
  Param<float>& bias() { return *layer->params()[1]; }
};

// The reference of each shape, computed once (the plain loops take seconds on the convnet's).
Reference& reference_of(const LayerShape& s) {
  static std::map<std::string, std::unique_ptr<Reference>> made;
  auto& r = made[std::string(s.model) + "/" + s.name];
  if (!r) r = std::make_unique<Reference>(s);
  return *r;
}

enum class Pass { forward, backward_data, backward_weights };

// An argument of the primitive and redes' data for it, in the plain layout.
struct Operand {
  int arg;
  const char* name;
  memory::desc plain;
  float* data;
};

void bm_onednn(benchmark::State& state, LayerShape s, Pass pass, bool plain) {
  Reference& r = reference_of(s);
  const Conv2dGeometry& g = r.geometry();
  const auto f32 = [](const memory::dims& d, tag t) {
    return memory::desc(d, memory::data_type::f32, t);
  };
  const memory::desc src = f32({s.batch, g.channels, g.height, g.width}, tag::nchw);
  const memory::desc wei = f32({s.filters, g.channels, g.kernel_h, g.kernel_w}, tag::oihw);
  const memory::desc bias = f32({s.filters}, tag::x);
  const memory::desc dst = f32({s.batch, s.filters, g.out_h(), g.out_w()}, tag::nchw);
  // The layout the primitive is given (bias has only the one).
  const auto given = [&](const memory::desc& d) { return plain ? d : f32(d.dims(), tag::any); };
  const memory::dims strides = {g.stride_h, g.stride_w};
  const memory::dims pad_l = {g.pad_top, g.pad_left}, pad_r = {g.pad_bottom, g.pad_right};
  const auto algo = dnnl::algorithm::convolution_auto;

  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const dnnl::convolution_forward::primitive_desc fwd(
      {dnnl::prop_kind::forward_training, algo, given(src), given(wei), bias, given(dst), strides,
       pad_l, pad_r},
      engine);
  dnnl::primitive_desc pd;
  std::vector<Operand> in, out;
  switch (pass) {
    case Pass::forward:
      pd = fwd;
      in = {{DNNL_ARG_SRC, "x", src, r.x.data()},
            {DNNL_ARG_WEIGHTS, "w", wei, r.weight().value},
            {DNNL_ARG_BIAS, "b", bias, r.bias().value}};
      out = {{DNNL_ARG_DST, "y", dst, r.y.data()}};
      break;
    case Pass::backward_data:
      pd = dnnl::convolution_backward_data::primitive_desc(
          {algo, given(src), given(wei), given(dst), strides, pad_l, pad_r}, engine, fwd);
      in = {{DNNL_ARG_DIFF_DST, "dy", dst, r.dy.data()},
            {DNNL_ARG_WEIGHTS, "w", wei, r.weight().value}};
      out = {{DNNL_ARG_DIFF_SRC, "dx", src, r.dx.data()}};
      break;
    case Pass::backward_weights:
      pd = dnnl::convolution_backward_weights::primitive_desc(
          {algo, given(src), given(wei), bias, given(dst), strides, pad_l, pad_r}, engine, fwd);
      in = {{DNNL_ARG_SRC, "x", src, r.x.data()}, {DNNL_ARG_DIFF_DST, "dy", dst, r.dy.data()}};
      out = {{DNNL_ARG_DIFF_WEIGHTS, "dW", wei, r.weight().grad},
             {DNNL_ARG_DIFF_BIAS, "db", bias, r.bias().grad}};
      break;
  }
  state.SetLabel(pd.impl_info_str());

  // The arguments in the primitive's layouts, the inputs reordered into them from redes' data.
  const auto chosen = [&](const Operand& o) {
    return memory(pd.query_md(dnnl::query::exec_arg_md, o.arg), engine);
  };
  std::unordered_map<int, memory> args;
  for (const Operand& o : in) {
    memory from(o.plain, engine, o.data), to = chosen(o);
    dnnl::reorder(from, to).execute(stream, from, to);
    args[o.arg] = to;
  }
  for (const Operand& o : out) args[o.arg] = chosen(o);
  dnnl::primitive prim(pd);
  prim.execute(stream, args);

  // Each result, back in the plain layout, against redes'.
  for (const Operand& o : out) {
    memory got(o.plain, engine);
    dnnl::reorder(args[o.arg], got).execute(stream, args[o.arg], got);
    stream.wait();
    const auto* p = static_cast<const float*>(got.get_data_handle());
    double diff = 0, scale = 0;
    for (size_t i = 0; i < o.plain.get_size() / sizeof(float); ++i) {
      diff = std::max(diff, double(std::abs(p[i] - o.data[i])));
      scale = std::max(scale, double(std::abs(o.data[i])));
    }
    if (diff > 1e-4 * scale) {
      state.SkipWithError((std::string(o.name) + " differs from the reference convolution by " +
                           std::to_string(diff) + ", max |" + o.name + "| " + std::to_string(scale))
                              .c_str());
      return;
    }
  }

  for (auto _ : state) {
    prim.execute(stream, args);
    stream.wait();
  }
  report_flops(state, 2.0 * double(s.batch) * double(r.layer->multiply_adds()));
  state.SetItemsProcessed(state.iterations() * s.batch);  // images
}

const bool registered = add_registration([] {
  const std::pair<Pass, const char*> passes[] = {{Pass::forward, "forward"},
                                                 {Pass::backward_data, "backward_data"},
                                                 {Pass::backward_weights, "backward_weights"}};
  for (const auto& s : shapes()) {
    if (s.filters == 0) continue;  // a pooling layer
    for (const auto& [pass, pass_name] : passes) {
      if (pass == Pass::backward_data && s.first) continue;  // no input gradient to compute
      for (const bool plain : {true, false}) {
        const std::string name = std::string("onednn/") + s.model + "/" + s.name + "." + pass_name +
                                 (plain ? "/nchw" : "/any");
        auto* b = benchmark::RegisterBenchmark(name.c_str(), bm_onednn, s, pass, plain);
        if (use_real_time()) b->UseRealTime();
      }
    }
  }
});

}  // namespace
}  // namespace redes::bench
