// The model file: an exact round trip, and a clear ModelFileError (never a crash, a hang or a
// huge allocation) for every truncated, corrupted or inconsistent file.
#include "redes/model_file.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "redes/error.hpp"

namespace redes {
namespace {

namespace fs = std::filesystem;

LayerSpec layer(const std::string& kind, const std::string& name, nlohmann::json attrs = {}) {
  LayerSpec s;
  s.kind = kind;
  s.name = name;
  s.attrs = attrs.is_null() ? nlohmann::json::object() : attrs;
  return s;
}

// input (4) -> hidden linear (5) -> relu -> out linear (1): 31 weights.
Model small_model() {
  std::vector<LayerSpec> specs = {
      layer("linear", "hidden", {{"units", 5}}), layer("relu", "act"),
      layer("linear", "out", {{"units", 1}, {"init", "glorot_uniform"}})};
  Model m;
  m.graph = std::make_unique<Graph>(specs, Shape{4});
  Rng rng(42);
  m.graph->init(rng);
  // Values a float round trip through text would not keep: the file must copy bits.
  auto w = m.graph->values();
  w[0] = -0.0f;
  w[1] = std::numeric_limits<float>::denorm_min();
  w[2] = std::bit_cast<float>(0x7fc12345u);  // a NaN with a payload

  Preprocessor& p = m.prep;
  p.task = Task::binary;
  p.target = "Miles_per_Gallon";
  p.rule.kind = "above";
  p.rule.threshold = 23.5;
  p.classes = {"0", "1"};
  p.missing = "median";
  Preprocessor::Column cyl;
  cyl.name = "Cylinders";
  cyl.mean = 5.4717;
  cyl.scale = 1.7059;
  cyl.fill = 4;
  Preprocessor::Column origin;
  origin.name = "Origin";
  origin.categorical = true;
  origin.categories = {"Europe", "Japan", "USA"};
  origin.fill = 2;
  p.columns = {cyl, origin};

  m.meta = {{"task", "binary"},
            {"kind", "table"},
            {"loss", "bce_logits"},
            {"config", "cars"},
            {"epochs", 17}};
  return m;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

uint64_t get_u64(const std::string& b, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}
void set_u32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void set_u64(std::string& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// A model file written by hand, with a correct checksum: for headers that lie.
std::string assemble(const nlohmann::json& header, const std::vector<float>& weights) {
  const std::string text = header.dump();
  std::string b = "REDESMDL";
  b.resize(20 + text.size() + 8);
  set_u32(b, 8, 1);
  set_u64(b, 12, text.size());
  std::memcpy(b.data() + 20, text.data(), text.size());
  set_u64(b, 20 + text.size(), weights.size());
  b.append(reinterpret_cast<const char*>(weights.data()), weights.size() * 4);
  const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(b.data()), b.size());
  b.resize(b.size() + 4);
  set_u32(b, b.size() - 4, crc);
  return b;
}

class ModelFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("redes_model_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The message of the ModelFileError that loading bytes gives; fails the test when none.
  std::string load_error(const std::string& bytes) {
    const fs::path p = dir_ / "bad.redes";
    write_bytes(p, bytes);
    try {
      load_model(p.string());
    } catch (const ModelFileError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(p.string() + ": ", 0), 0u) << "does not name the file: " << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
      return msg;
    }
    ADD_FAILURE() << "no ModelFileError for a file of " << bytes.size() << " bytes";
    return "";
  }
  std::string saved_bytes() {
    const fs::path p = dir_ / "good.redes";
    save_model(p.string(), small_model());
    return read_bytes(p);
  }
  nlohmann::json saved_header() {
    const std::string b = saved_bytes();
    return nlohmann::json::parse(b.substr(20, get_u64(b, 12)));
  }
  // The header and weights of the small model, to be altered and re-assembled.
  std::vector<float> saved_weights() {
    const Model m = small_model();
    return {m.graph->values().begin(), m.graph->values().end()};
  }

  fs::path dir_;
};

TEST_F(ModelFile, RoundTripIsExact) {
  const Model a = small_model();
  const std::string path = (dir_ / "m.redes").string();
  save_model(path, a);
  const Model b = load_model(path);

  EXPECT_EQ(b.graph->input_shape(), Shape{4});
  EXPECT_EQ(b.graph->output_shape(), Shape{1});
  ASSERT_EQ(b.graph->specs().size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(b.graph->specs()[i].to_json(), a.graph->specs()[i].to_json()) << "layer " << i;
  ASSERT_EQ(b.graph->params().size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(b.graph->params()[i].name, a.graph->params()[i].name);
    EXPECT_EQ(b.graph->params()[i].param->shape, a.graph->params()[i].param->shape);
  }
  EXPECT_EQ(b.graph->params()[0].name, "hidden.weight");
  const auto wa = a.graph->values(), wb = b.graph->values();
  ASSERT_EQ(wb.size(), 31u);
  ASSERT_EQ(wa.size(), wb.size());
  for (size_t i = 0; i < wa.size(); ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(wa[i]), std::bit_cast<uint32_t>(wb[i])) << "weight " << i;

  EXPECT_EQ(b.prep.to_json(), a.prep.to_json());
  EXPECT_EQ(b.prep.columns.at(1).categories, (std::vector<std::string>{"Europe", "Japan", "USA"}));
  EXPECT_DOUBLE_EQ(b.prep.rule.threshold, 23.5);
  EXPECT_EQ(b.meta, a.meta);

  // The loaded graph computes what the saved one did.
  Tensor x(Shape{2, 4}, {0.5f, -1.f, 2.f, 0.f, 1.f, 1.f, -3.f, 0.25f});
  Rng rng(1);
  auto ok = [&](const Model& m) {
    m.graph->values()[2] = 0.1f;  // the NaN would hide any difference
    auto y = m.graph->forward(x, false, rng);
    return std::vector<float>(y.begin(), y.end());
  };
  EXPECT_EQ(ok(a), ok(b));
}

TEST_F(ModelFile, HeaderHasTheDocumentedFields) {
  const nlohmann::json h = saved_header();
  EXPECT_EQ(h["format"], "redes-model");
  EXPECT_EQ(h["input_shape"], nlohmann::json({4}));
  EXPECT_EQ(h["layers"].size(), 3u);
  EXPECT_EQ(h["params"][0], (nlohmann::json{{"name", "hidden.weight"}, {"shape", {5, 4}}}));
  EXPECT_EQ(h["preprocessing"]["target"], "Miles_per_Gallon");
  EXPECT_EQ(h["meta"]["config"], "cars");
}

TEST_F(ModelFile, ModelWithoutPreprocessingStoresNull) {
  Model m = small_model();
  m.prep.columns.clear();  // no columns: a model not trained on a table
  const std::string path = (dir_ / "m.redes").string();
  save_model(path, m);
  const std::string b = read_bytes(path);
  EXPECT_TRUE(nlohmann::json::parse(b.substr(20, get_u64(b, 12)))["preprocessing"].is_null());
  EXPECT_TRUE(load_model(path).prep.columns.empty());
}

TEST_F(ModelFile, EveryTruncationIsAnError) {
  const std::string good = saved_bytes();
  for (size_t n = 0; n < good.size(); ++n) {
    const std::string msg = load_error(good.substr(0, n));
    if (n >= 8) {
      EXPECT_NE(msg.find("truncated"), std::string::npos) << n << ": " << msg;
    }
  }
  EXPECT_NE(load_error(good.substr(0, good.size() - 7))
                .find("truncated: expected " + std::to_string(good.size()) + " bytes, file has " +
                      std::to_string(good.size() - 7)),
            std::string::npos);
}

TEST_F(ModelFile, EveryFlippedWeightByteFailsTheChecksum) {
  const std::string good = saved_bytes();
  const size_t weights_at = good.size() - 4 - 31 * 4;
  for (size_t i = weights_at; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    EXPECT_NE(load_error(bad).find("checksum mismatch: the file is corrupted"), std::string::npos)
        << "byte " << i;
  }
}

TEST_F(ModelFile, EveryFlippedByteAnywhereIsAnError) {
  const std::string good = saved_bytes();
  for (size_t i = 0; i < good.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] ^= static_cast<char>(mask);
      load_error(bad);
    }
  }
}

TEST_F(ModelFile, TrailingBytesAreAnError) {
  EXPECT_NE(load_error(saved_bytes() + "x").find("unexpected bytes after the checksum"),
            std::string::npos);
}

TEST_F(ModelFile, BadMagic) {
  std::string b = saved_bytes();
  b[0] = 'X';
  EXPECT_NE(load_error(b).find("not a redes model file (bad magic number)"), std::string::npos);
  EXPECT_NE(load_error("").find("bad magic number"), std::string::npos);
  EXPECT_NE(load_error("name,age\n1,2\n").find("bad magic number"), std::string::npos);
}

TEST_F(ModelFile, NewerVersionHasAHint) {
  std::string b = saved_bytes();
  set_u32(b, 8, 99);
  const std::string msg = load_error(b);
  EXPECT_NE(msg.find("model format version 99 is newer than this redes understands (" +
                     std::to_string(kModelFormatVersion) + "); upgrade redes"),
            std::string::npos)
      << msg;
}

TEST_F(ModelFile, HugeLengthsAreRejectedBeforeAllocating) {
  std::string b = saved_bytes();
  set_u64(b, 12, 0xfffffffffffffff0ull);
  EXPECT_NE(load_error(b).find("header length 18446744073709551600 is larger than the file"),
            std::string::npos);
  b = saved_bytes();
  set_u64(b, 12, get_u64(b, 12) + 1000);  // plausible but past the end
  EXPECT_NE(load_error(b).find("truncated"), std::string::npos);
  b = saved_bytes();
  set_u64(b, 20 + get_u64(b, 12), uint64_t(1) << 62);
  EXPECT_NE(load_error(b).find("weight count 4611686018427387904 is larger than the file"),
            std::string::npos);
}

TEST_F(ModelFile, MissingFile) {
  const std::string path = (dir_ / "none.redes").string();
  try {
    load_model(path);
    FAIL() << "no error";
  } catch (const ModelFileError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot open: No such file or directory");
  }
}

TEST_F(ModelFile, HeadersThatLieAreErrors) {
  const nlohmann::json good = saved_header();
  const std::vector<float> w = saved_weights();
  auto error_with = [&](auto change, std::vector<float> weights) {
    nlohmann::json h = good;
    change(h);
    return load_error(assemble(h, weights));
  };
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  // The hand assembly itself is right.
  write_bytes(dir_ / "ok.redes", assemble(good, w));
  EXPECT_NO_THROW(load_model((dir_ / "ok.redes").string()));

  EXPECT_TRUE(
      has(load_error(assemble(nlohmann::json::array(), w)), "bad header: not a JSON object"));
  EXPECT_TRUE(
      has(error_with([](auto& h) { h.erase("params"); }, w), "bad header: no 'params' field"));
  EXPECT_TRUE(has(error_with([](auto& h) { h.erase("meta"); }, w), "no 'meta' field"));
  EXPECT_TRUE(has(error_with([](auto& h) { h["format"] = "keras"; }, w), "format is 'keras'"));
  EXPECT_TRUE(has(error_with(
                      [](auto& h) {
                        h["input_shape"] = {4, -1};
                      },
                      w),
                  "'input_shape' must be a list of positive integers"));
  EXPECT_TRUE(
      has(error_with([](auto& h) { h["layers"][0].erase("kind"); }, w), "bad header: layer 1:"));
  EXPECT_TRUE(has(error_with([](auto& h) { h["layers"][0]["kind"] = "conv9d"; }, w), "conv9d"));
  EXPECT_TRUE(has(error_with([](auto& h) { h["layers"][0]["attrs"]["unitz"] = 3; }, w),
                  "layer 'hidden' (linear): "));
  EXPECT_TRUE(
      has(error_with([](auto& h) { h["params"][0]["name"] = "hidden.w"; }, w),
          "parameter 1 is hidden.weight (5, 4) in the layers but hidden.w (5, 4) in the file"));
  EXPECT_TRUE(has(error_with([](auto& h) { h["params"].erase(3); }, std::vector<float>(30)),
                  "the layers need 31 weights, the file stores 30"));
  // The same number of weights, grouped differently.
  EXPECT_TRUE(has(error_with(
                      [](auto& h) {
                        h["params"].erase(1);
                        h["params"][2]["shape"] = {6};
                      },
                      w),
                  "the layers have 4 parameters, the file stores 3"));
  EXPECT_TRUE(has(error_with([](auto&) {}, std::vector<float>(32)),
                  "the parameters listed need 31 weights, the file stores 32"));
  EXPECT_TRUE(has(error_with(
                      [](auto& h) {
                        h["params"][0]["shape"] = {1 << 20, 1 << 20};
                      },
                      w),
                  "the parameters listed need more than the 31 weights stored"));
  EXPECT_TRUE(has(error_with([](auto& h) { h["preprocessing"] = 3; }, w),
                  "'preprocessing' must be an object or null"));
  EXPECT_TRUE(has(error_with([](auto& h) { h["preprocessing"]["columns"][0].erase("mean"); }, w),
                  "bad preprocessing in the header"));

  // Layers far bigger than the weights stored are refused before the graph allocates them.
  EXPECT_TRUE(
      has(error_with([](auto& h) { h["layers"][0]["attrs"]["units"] = int64_t(1) << 30; }, w),
          "the layers need 6442450945 weights, the file stores 31"));
  EXPECT_TRUE(
      has(error_with([](auto& h) { h["layers"][0]["attrs"]["units"] = int64_t(1) << 40; }, w),
          "'units' is 1099511627776, too large for any layer"));

  // Bad JSON with a correct checksum.
  std::string raw = assemble(good, w);
  raw[20] = '[';
  set_u32(raw, raw.size() - 4,
          crc32(0, reinterpret_cast<const Bytef*>(raw.data()), raw.size() - 4));
  EXPECT_TRUE(has(load_error(raw), "bad header: [json.exception.parse_error"));
}

// What summary and predict read from meta later (the kind, a series' codec, the classes) is read
// at load time, so that a malformed meta is a ModelFileError naming the file, not another
// exception or a message without the file later. (fuzz/fuzz_model.cpp found both.)
TEST_F(ModelFile, MalformedMetaFailsToLoad) {
  const nlohmann::json good = saved_header();
  const std::vector<float> w = saved_weights();
  auto error_with = [&](auto change) {
    nlohmann::json h = good;
    change(h);
    return load_error(assemble(h, w));
  };
  EXPECT_NE(error_with([](auto& h) {
              h["meta"]["task"] = "forecast";
              h["meta"]["kind"] = "series";
              h["meta"]["data"] = {{"codec", {{"transform", "diff"}}}};
            }).find("bad header: the series codec in the model file is incomplete"),
            std::string::npos);
  EXPECT_NE(error_with([](auto& h) {
              h["meta"].erase("kind");
              h["meta"]["data"] = {{"kind", 3}};
            }).find("bad header: [json.exception.type_error"),
            std::string::npos);
}

TEST_F(ModelFile, AtomicWriteReplacesAndLeavesNoTemporary) {
  const fs::path p = dir_ / "out.bin";
  write_file_atomic(p.string(), "first");
  write_file_atomic(p.string(), std::string("sec\0nd", 6));
  EXPECT_EQ(read_bytes(p), std::string("sec\0nd", 6));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "out.bin");
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(ModelFile, AtomicWriteIntoMissingFolderFails) {
  const std::string p = (dir_ / "no" / "such" / "m.redes").string();
  try {
    write_file_atomic(p, "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), p + ": cannot write: No such file or directory");
  }
  EXPECT_FALSE(fs::exists(dir_ / "no"));  // no parent folders are created
  EXPECT_THROW(save_model(p, small_model()), Error);
}

TEST_F(ModelFile, FailedWriteKeepsTheOldFile) {
  const fs::path p = dir_ / "m.redes";
  write_file_atomic(p.string(), "old contents");
  // A folder where the temporary file would go makes opening it fail.
  const fs::path blocker = p.string() + ".tmp." + std::to_string(::getpid());
  fs::create_directory(blocker);
  EXPECT_THROW(write_file_atomic(p.string(), "new contents"), Error);
  EXPECT_EQ(read_bytes(p), "old contents");
  fs::remove(blocker);
}

TEST_F(ModelFile, WriteFailingHalfwayRemovesTheTemporary) {
  const fs::path p = dir_ / "m.redes";
  write_file_atomic(p.string(), "old contents");
  // A file-size limit makes write() fail part way (EFBIG), even for root.
  struct rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 1000;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  try {
    write_file_atomic(p.string(), std::string(5000, 'x'));
  } catch (const Error& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, old_handler);
  EXPECT_EQ(message, p.string() + ": cannot write: File too large");
  EXPECT_EQ(read_bytes(p), "old contents");
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir_))
    files += e.is_regular_file() || e.is_directory();
  EXPECT_EQ(files, 1u) << "the temporary file was left behind";
}

}  // namespace
}  // namespace redes
