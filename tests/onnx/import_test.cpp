// ONNX import (redes/onnx.hpp): models exported by redes come back computing the same, a table's
// standardisation folds into the first layer, an image's normalisation becomes the model's,
// imported models train further, and bad or unsupported files are one-line errors naming the
// node. (The ONNX project's own cases run in build/tests/onnx_conformance; PyTorch's exports in
// pytorch_import_test.cpp.)
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "recurrent_cases.hpp"
#include "redes/onnx.hpp"

using namespace redes;
namespace fs = std::filesystem;

namespace {

fs::path temp_file(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "redes-onnx-import-test";
  fs::create_directories(dir);
  return dir / name;
}

Tensor uniform(Shape shape, uint64_t seed, float lo = 0.0f, float hi = 1.0f) {
  Tensor t(std::move(shape));
  Rng rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i) t[i] = lo + (hi - lo) * float(rng.uniform());
  return t;
}

// Exports m, imports the file and checks that the two predict the same on x.
Model round_trip(const Model& m, const std::string& name, const Tensor& x) {
  const fs::path path = temp_file(name + ".onnx");
  export_onnx(m, path.string());
  Model back = import_onnx(path.string());
  EXPECT_EQ(back.task(), m.task()) << name;
  EXPECT_EQ(back.kind(), m.kind()) << name;
  EXPECT_EQ(back.classes().size(), m.classes().size()) << name;
  EXPECT_EQ(back.graph->num_params(), m.graph->num_params()) << name;
  const Tensor want = m.predict(x.view()), got = back.predict(x.view());
  EXPECT_EQ(got.shape(), want.shape()) << name;
  for (int64_t i = 0; i < std::min(got.numel(), want.numel()); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::abs(want[i]))) << name << " at " << i;
  return back;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A one-node ONNX model y = op(x) over x (N, 3, 4, 4), written to name.onnx.
fs::path one_node(const std::string& name, const std::string& op,
                  const std::function<void(onnx::NodeProto&)>& edit = {}, bool symbolic = false) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name("n1");
  n->add_input("x");
  n->add_output("y");
  if (edit) edit(*n);
  for (const char* v : {"x", "y"}) {
    auto* info = std::string(v) == "x" ? g->add_input() : g->add_output();
    info->set_name(v);
    auto* t = info->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = t->mutable_shape();
    shape->add_dim()->set_dim_param("N");
    for (int64_t d : {3, 4, 4}) {
      if (symbolic)
        shape->add_dim()->set_dim_param("d");
      else
        shape->add_dim()->set_dim_value(d);
    }
  }
  const fs::path path = temp_file(name + ".onnx");
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  return path;
}

}  // namespace

TEST(OnnxImport, ExportedDenseModelsComeBackTheSame) {
  const Model binary = Model::build(
      Task::binary, Shape{7},
      {layer("linear", {{"units", 16}}), layer("relu"), layer("dropout", {{"rate", 0.3}}),
       layer("linear", {{"units", 8}}), layer("leaky_relu", {{"negative_slope", 0.1}}),
       layer("linear", {{"units", 1}})},
      3);
  const Model back = round_trip(binary, "dense", uniform(Shape{5, 7}, 1, -2, 2));
  // The dropout layer keeps its rate for fine-tuning.
  EXPECT_EQ(back.graph->specs()[2].kind, "dropout");
  EXPECT_DOUBLE_EQ(back.graph->specs()[2].attrs.at("rate").get<double>(), 0.3f);
  const Model multiclass = Model::build(
      Task::multiclass, Shape{6},
      {layer("linear", {{"units", 8}}), layer("tanh"), layer("linear", {{"units", 4}})}, 2, 4);
  round_trip(multiclass, "multiclass", uniform(Shape{3, 6}, 4, -1, 1));
  const Model regression = Model::build(
      Task::regression, Shape{3},
      {layer("linear", {{"units", 5}}), layer("sigmoid"), layer("linear", {{"units", 1}})}, 5);
  round_trip(regression, "regression", uniform(Shape{4, 3}, 2, -1, 1));
}

TEST(OnnxImport, ExportedImageModelsComeBackTheSame) {
  Model m = Model::build(
      Task::multiclass, Shape{3, 12, 12},
      {layer("conv2d", {{"filters", 6}, {"kernel", 3}, {"padding", "same"}}), layer("batchnorm2d"),
       layer("relu"),
       layer("local_response_norm", {{"size", 3}, {"alpha", 0.01}, {"beta", 0.75}, {"k", 2.0}}),
       layer("max_pool2d", {{"kernel", 2}}),
       layer("conv2d", {{"filters", 4}, {"kernel", {3, 2}}, {"stride", 2}, {"padding", 1}}, "c2"),
       layer("conv2d", {{"filters", 4}, {"kernel", 1}, {"groups", 2}}, "c3"),
       layer("add", {}, "sum", {"c2", "c3"}), layer("concat", {}, "cat", {"sum", "c2"}),
       layer("avg_pool2d", {{"kernel", 2}, {"stride", 1}, {"padding", 1}}), layer("sigmoid"),
       layer("flatten"), layer("linear", {{"units", 5}})},
      5, 5);
  // Running statistics that are not 0 and 1, and a normalisation of the pixels.
  Rng rng(8);
  for (const auto& p : m.graph->state())
    if (p.param->grad == nullptr)
      for (int64_t i = 0; i < p.param->numel(); ++i)
        p.param->value[i] = 0.5f + float(rng.uniform());
  m.meta["data"] = {{"kind", "images"}, {"mean", {0.3, 0.4, 0.5}}, {"std", {0.2, 0.25, 0.3}}};
  const Model back = round_trip(m, "images", uniform(Shape{2, 3, 12, 12}, 6));
  std::vector<float> scale, shift, scale2, shift2;
  m.image_normalisation(scale, shift);
  back.image_normalisation(scale2, shift2);
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(scale2[c], scale[c], 1e-4);
    EXPECT_NEAR(shift2[c], shift[c], 1e-5);
  }
}

TEST(OnnxImport, ExportedActivationsAndPoolingOptionsComeBackTheSame) {
  for (const auto& act : {layer("elu", {{"alpha", 0.7}}), layer("selu"), layer("softplus"),
                          layer("softsign"), layer("hard_sigmoid", {{"alpha", 0.2}, {"beta", 0.4}}),
                          layer("hardtanh", {{"min", -0.5}, {"max", 2.0}}), layer("log_softmax"),
                          layer("gelu", {{"approximate", "none"}})}) {
    const Model m =
        Model::build(Task::regression, Shape{6},
                     {layer("linear", {{"units", 8}}), act, layer("linear", {{"units", 1}})}, 4);
    const Model back = round_trip(m, act.kind, uniform(Shape{5, 6}, 2, -3, 3));
    if (act.kind != "gelu") EXPECT_EQ(back.graph->specs()[1].kind, act.kind);
  }
  for (const auto& pool :
       {layer("max_pool2d", {{"kernel", 3}, {"stride", 2}, {"ceil_mode", true}}),
        layer("max_pool2d", {{"kernel", 2}, {"stride", 1}, {"dilation", 2}}),
        layer("max_pool2d", {{"kernel", 2}, {"padding", {0, 1, 1, 0}}}),
        layer("avg_pool2d", {{"kernel", 3}, {"stride", 2}, {"ceil_mode", true}}),
        layer("avg_pool2d",
              {{"kernel", 3}, {"stride", 2}, {"padding", 1}, {"count_include_pad", false}})}) {
    const Model m = Model::build(Task::multiclass, Shape{3, 11, 11},
                                 {pool, layer("flatten"), layer("linear", {{"units", 5}})}, 5, 5);
    round_trip(m, pool.kind + pool.attrs.dump(), uniform(Shape{2, 3, 11, 11}, 6));
  }
}

TEST(OnnxImport, ExportedRecurrentModelsComeBackTheSame) {
  for (const auto& [name, layers] : recurrent_cases()) {
    const Model m = Model::build(Task::multiclass, Shape{6, 4}, layers, 3, 3);
    const Model back = round_trip(m, name, uniform(Shape{3, 6, 4}, 5, -1, 1));
    // The recurrent layer comes back as such (a stacked one as layers of one each).
    const auto kinds = [](const Model& model) {
      std::set<std::string> k;
      for (const auto& s : model.graph->specs()) k.insert(s.kind);
      return k;
    };
    EXPECT_EQ(kinds(back).count("lstm") + kinds(back).count("gru"), 1u) << name;
    EXPECT_EQ(kinds(back).count("lstm"), kinds(m).count("lstm")) << name;
  }
  const Model words = Model::build(Task::multiclass, Shape{5},
                                   {layer("embedding", {{"vocab", 7}, {"dim", 4}}),
                                    layer("lstm", {{"units", 6}}), layer("linear", {{"units", 7}})},
                                   2, 7);
  const Tensor ids(Shape{2, 5}, std::vector<float>{0, 1, 2, 3, 6, 6, 5, 4, 0, 0});
  round_trip(words, "words", ids);
  const Model masked = Model::build(
      Task::regression, Shape{5},
      {layer("embedding", {{"vocab", 7}, {"dim", 3}}, "e"),
       layer("mask", {{"pad", 0}}, "m", {"input"}),
       layer("lstm", {{"units", 4}, {"masked", true}, {"bidirectional", true}}, "rnn", {"e", "m"}),
       layer("linear", {{"units", 1}})},
      2);
  // The mask becomes sequence_lens and comes back as the mask input; padding at the end only.
  const Tensor padded(Shape{3, 5}, std::vector<float>{3, 1, 2, 0, 0, 6, 5, 4, 2, 1, 4, 0, 0, 0, 0});
  const Model masked_back = round_trip(masked, "masked", padded);
  EXPECT_TRUE(masked_back.graph->specs()[2].attrs.at("masked").get<bool>());
  for (int opset : {11, 12}) {  // GreaterOrEqual from 12; Less and Not before
    const fs::path path = temp_file("masked" + std::to_string(opset) + ".onnx");
    export_onnx(masked, path.string(), opset);
    const Tensor a = masked.predict(padded.view()),
                 b = import_onnx(path.string()).predict(padded.view());
    for (int64_t i = 0; i < a.numel(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << opset;
  }
  const Model mask_only =
      Model::build(Task::regression, Shape{5},
                   {layer("mask", {{"pad", 6}}), layer("linear", {{"units", 1}})}, 2);
  const Model back = round_trip(mask_only, "mask", ids);
  EXPECT_EQ(back.graph->specs().front().kind, "mask");
}

// The exported standardisation (Mul and Add in front) becomes part of the first linear layer,
// so the imported model takes the raw feature values.
TEST(OnnxImport, TableStandardisationFoldsIntoTheFirstLayer) {
  Model m = Model::build(
      Task::binary, Shape{3},
      {layer("linear", {{"units", 6}}), layer("relu"), layer("linear", {{"units", 1}})}, 4);
  m.prep.columns = {{"weight", false, 2970.0, 847.0, 0, {}},
                    {"year", false, 76.0, 3.7, 0, {}},
                    {"cylinders", false, 5.4, 1.7, 0, {}}};
  m.prep.classes = {"0", "1"};
  const fs::path path = temp_file("table.onnx");
  export_onnx(m, path.string());
  const Model back = import_onnx(path.string());
  const Tensor raw(Shape{2, 3}, std::vector<float>{3504, 70, 8, 1835, 82, 4});
  Tensor z(raw.shape());
  for (int64_t r = 0; r < 2; ++r) {
    z[r * 3 + 0] = float((raw[r * 3 + 0] - 2970.0) / 847.0);
    z[r * 3 + 1] = float((raw[r * 3 + 1] - 76.0) / 3.7);
    z[r * 3 + 2] = float((raw[r * 3 + 2] - 5.4) / 1.7);
  }
  const Tensor want = m.predict(z.view()), got = back.predict(raw.view());
  for (int64_t i = 0; i < 2; ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
}

TEST(OnnxImport, ImportedModelsTrainFurther) {
  const Model m = Model::build(
      Task::binary, Shape{2},
      {layer("linear", {{"units", 8}}), layer("relu"), layer("linear", {{"units", 1}})}, 3);
  const fs::path path = temp_file("fit.onnx");
  export_onnx(m, path.string());
  Model back = import_onnx(path.string());
  // Points labelled by x0 + x1 > 1.
  const Tensor x = uniform(Shape{64, 2}, 7);
  Tensor y(Shape{64, 1});
  for (int64_t i = 0; i < 64; ++i) y[i] = x[2 * i] + x[2 * i + 1] > 1.0f ? 1.0f : 0.0f;
  FitOptions o;
  o.train.epochs = 30;
  o.train.batch_size = 16;
  o.optimizer.kind = "adam";
  o.optimizer.lr = 0.05;
  const auto logs = back.fit(x.view(), y.view(), o);
  ASSERT_EQ(logs.size(), 30u);
  EXPECT_LT(logs.back().train.loss, 0.6 * logs.front().train.loss);
  back.save(temp_file("fit.redes").string());
  EXPECT_EQ(Model::load(temp_file("fit.redes").string()).graph->num_params(),
            back.graph->num_params());
}

TEST(OnnxImport, UnsupportedNodesAreErrorsNamingThem) {
  const auto path = one_node("foo", "Foo").string();
  EXPECT_EQ(message_of([&] { import_onnx(path); }),
            path + ": node 'n1' (Foo): the operator is not one redes imports");
  EXPECT_THROW(import_onnx(path), OnnxUnsupported);
  const auto attr = one_node("attr", "Relu", [](onnx::NodeProto& n) {
                      auto* a = n.add_attribute();
                      a->set_name("colour");
                      a->set_type(onnx::AttributeProto::INT);
                      a->set_i(3);
                    }).string();
  EXPECT_EQ(message_of([&] { import_onnx(attr); }),
            attr + ": node 'n1' (Relu): attribute 'colour' is not supported");
  const auto pool = one_node("pool3d", "MaxPool", [](onnx::NodeProto& n) {
                      auto* a = n.add_attribute();
                      a->set_name("kernel_shape");
                      a->set_type(onnx::AttributeProto::INTS);
                      for (int k = 0; k < 3; ++k) a->add_ints(2);
                    }).string();
  EXPECT_EQ(message_of([&] { import_onnx(pool); }),
            pool + ": node 'n1' (MaxPool): kernel_shape (2, 2, 2) (redes pools 2-d images)");
}

// Found by fuzz_onnx: a node without an input its operator needs.
TEST(OnnxImport, AMissingInputIsAModelFileError) {
  const auto path = one_node("gather", "Gather").string();
  EXPECT_THROW(import_onnx(path), ModelFileError);
  EXPECT_EQ(message_of([&] { import_onnx(path); }),
            path + ": node 'n1' (Gather): input 1 is missing");
}

TEST(OnnxImport, SymbolicInputDimensionsNeedTheInputShape) {
  const auto path = one_node("symbolic", "Relu", {}, true).string();
  EXPECT_NE(
      message_of([&] { import_onnx(path); }).find("give the per-sample shape (--input-shape)"),
      std::string::npos);
  OnnxImportOptions o;
  o.input_shape = {3, 4, 4};
  const Model m = import_onnx(path, o);
  EXPECT_EQ(m.input_shape(), (Shape{3, 4, 4}));
  EXPECT_EQ(m.task(), Task::regression);
  o.input_shape = {3, 4};
  EXPECT_NE(message_of([&] { import_onnx(path, o); }).find("the given input shape 2"),
            std::string::npos);
}

TEST(OnnxImport, BadFilesAreModelFileErrors) {
  const fs::path junk = temp_file("junk.onnx");
  std::ofstream(junk, std::ios::binary) << "\x08\x07\x12\xff\xff\xff\xff\x0f not onnx";
  EXPECT_THROW(import_onnx(junk.string()), ModelFileError);
  EXPECT_EQ(message_of([&] { import_onnx(junk.string()); }),
            junk.string() + ": not an ONNX model (the protobuf does not parse)");
  EXPECT_EQ(message_of([&] { import_onnx("/nonexistent/m.onnx"); }),
            "/nonexistent/m.onnx: cannot open: No such file or directory");
  // A valid export cut short, and one whose weights lost bytes.
  const Model m = Model::build(Task::regression, Shape{4}, {layer("linear", {{"units", 1}})}, 1);
  const fs::path good = temp_file("good.onnx");
  export_onnx(m, good.string());
  std::ifstream in(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t cut : {bytes.size() / 2, bytes.size() - 3}) {
    EXPECT_THROW(import_onnx_bytes(bytes.substr(0, cut), "cut.onnx"), ModelFileError) << cut;
  }
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  auto* w = proto.mutable_graph()->mutable_initializer(0);
  w->set_raw_data(w->raw_data().substr(4));
  EXPECT_NE(message_of([&] {
              import_onnx_bytes(proto.SerializeAsString(), "short.onnx");
            }).find("short.onnx: tensor '"),
            std::string::npos);
  w->clear_dims();
  w->add_dims(int64_t{1} << 40);
  w->add_dims(int64_t{1} << 40);
  EXPECT_NE(message_of([&] {
              import_onnx_bytes(proto.SerializeAsString(), "huge.onnx");
            }).find("too large"),
            std::string::npos);
}

// Found by fuzz_onnx (an 8 GB allocation from a file of a few hundred bytes): sizes a file only
// declares are checked before anything is allocated for them. A tensor's dimensions are
// reserved only once its bytes are known to hold them; constants the import makes itself
// (ConstantOfShape, Concat, copies) are held to 64M values in all. ctest cannot see the
// allocation; fuzz/corpus/onnx/regression-* holds these models, and libFuzzer's malloc limit
// fails on them without the checks.
TEST(OnnxImport, SizesAFileOnlyDeclaresAreRefusedBeforeAllocation) {
  const auto model = [](const std::function<void(onnx::GraphProto&)>& fill) {
    onnx::ModelProto m;
    m.set_ir_version(7);
    m.add_opset_import()->set_version(13);
    auto* g = m.mutable_graph();
    auto* x = g->add_input();
    x->set_name("x");
    auto* t = x->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param("N");
    t->mutable_shape()->add_dim()->set_dim_value(4);
    g->add_output()->set_name("y");
    fill(*g);
    return m.SerializeAsString();
  };
  const auto node = [](onnx::GraphProto& g, const std::string& op,
                       std::initializer_list<std::string> in, const std::string& out) {
    auto* n = g.add_node();
    n->set_op_type(op);
    n->set_name("n" + std::to_string(g.node_size()));
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
  };
  const auto ints = [](onnx::GraphProto& g, const std::string& name, std::vector<int64_t> v) {
    auto* t = g.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(int64_t(v.size()));
    for (int64_t k : v) t->add_int64_data(k);
  };
  const auto check = [](const std::string& bytes, const std::string& name,
                        const std::string& want) {
    std::ofstream(temp_file(name), std::ios::binary) << bytes;  // the fuzz corpus' copy
    std::string got;
    try {
      import_onnx_bytes(bytes, name);
    } catch (const ModelFileError& e) {
      got = e.what();
    }
    EXPECT_NE(got.find(want), std::string::npos) << got;
  };

  // 2^30 floats declared, none given.
  check(model([&](onnx::GraphProto& g) {
          auto* t = g.add_initializer();
          t->set_name("w");
          t->set_data_type(onnx::TensorProto::FLOAT);
          t->add_dims(int64_t{1} << 30);
          t->set_raw_data("abcd");
          node(g, "Relu", {"x"}, "y");
        }),
        "regression-declared-tensor", "tensor 'w' has 4 bytes for 1073741824 values");
  // A ConstantOfShape of 2^30 values.
  check(model([&](onnx::GraphProto& g) {
          ints(g, "shape", {int64_t{1} << 30});
          node(g, "ConstantOfShape", {"shape"}, "c");
          node(g, "Relu", {"x"}, "y");
        }),
        "regression-constant-of-shape",
        "node 'n1' (ConstantOfShape): constants folded at import would hold more than 67108864");
  // A Concat of the same 2^25 values, 64 times over.
  check(model([&](onnx::GraphProto& g) {
          ints(g, "shape", {int64_t{1} << 25});
          node(g, "ConstantOfShape", {"shape"}, "c");
          auto* n = g.add_node();
          n->set_op_type("Concat");
          n->set_name("cat");
          for (int k = 0; k < 64; ++k) n->add_input("c");
          n->add_output("d");
          auto* axis = n->add_attribute();
          axis->set_name("axis");
          axis->set_type(onnx::AttributeProto::INT);
          axis->set_i(0);
          node(g, "Relu", {"x"}, "y");
        }),
        "regression-concat", "node 'cat' (Concat): constants folded at import would hold more");
}
