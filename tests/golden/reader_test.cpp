// The golden fixture reader (tests/support/golden.hpp) and the comparison the golden tests use:
// a good file round-trips, and every kind of damage fails with a message naming the file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "support/golden.hpp"

namespace redes {
namespace {

void put_u32(std::vector<char>& b, uint32_t v) {
  const char* p = reinterpret_cast<const char*>(&v);
  b.insert(b.end(), p, p + sizeof v);
}
void put_i64(std::vector<char>& b, int64_t v) {
  const char* p = reinterpret_cast<const char*>(&v);
  b.insert(b.end(), p, p + sizeof v);
}
void put_f32(std::vector<char>& b, float v) {
  const char* p = reinterpret_cast<const char*>(&v);
  b.insert(b.end(), p, p + sizeof v);
}
void put_entry(std::vector<char>& b, const std::string& name, std::vector<int64_t> dims,
               std::vector<float> data) {
  put_u32(b, static_cast<uint32_t>(name.size()));
  b.insert(b.end(), name.begin(), name.end());
  put_u32(b, static_cast<uint32_t>(dims.size()));
  for (auto d : dims) put_i64(b, d);
  for (auto v : data) put_f32(b, v);
}

// Two entries: "w" (2, 3) and the scalar "s".
std::vector<char> good_file(uint32_t version = golden::kVersion) {
  std::vector<char> b(golden::kMagic, golden::kMagic + 8);
  put_u32(b, version);
  put_u32(b, 2);
  put_entry(b, "w", {2, 3}, {1, 2, 3, 4, 5, 6});
  put_entry(b, "s", {}, {0.25f});
  return b;
}

// Parsing must throw a std::runtime_error whose message names the file and contains `part`.
void expect_error(const std::vector<char>& bytes, const std::string& part) {
  try {
    golden::Fixture::parse("some/fixture.bin", bytes);
    ADD_FAILURE() << "no error; expected one mentioning '" << part << "'";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("some/fixture.bin"), std::string::npos) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

TEST(GoldenReader, ReadsNamedTensorsAndScalars) {
  const auto fx = golden::Fixture::parse("mem.bin", good_file());
  EXPECT_EQ(fx.names(), (std::vector<std::string>{"w", "s"}));
  EXPECT_EQ(fx.at("w").shape(), (Shape{2, 3}));
  EXPECT_EQ(fx.at("w").values(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(fx.scalar("s"), 0.25f);
  EXPECT_TRUE(fx.has("w"));
  EXPECT_FALSE(fx.has("x"));
  EXPECT_THROW(fx.at("x"), std::runtime_error);
  EXPECT_THROW(fx.scalar("w"), std::runtime_error);
}

TEST(GoldenReader, RejectsBadMagic) {
  auto b = good_file();
  b[0] = 'X';
  expect_error(b, "bad magic");
}

TEST(GoldenReader, RejectsUnknownVersion) { expect_error(good_file(2), "version 2"); }

TEST(GoldenReader, RejectsEveryTruncation) {
  const auto b = good_file();
  for (size_t n = 0; n < b.size(); ++n)
    expect_error(std::vector<char>(b.begin(), b.begin() + n), "truncated");
}

TEST(GoldenReader, RejectsTrailingBytes) {
  auto b = good_file();
  b.push_back(0);
  expect_error(b, "unexpected bytes");
}

TEST(GoldenReader, RejectsDuplicateNames) {
  std::vector<char> b(golden::kMagic, golden::kMagic + 8);
  put_u32(b, golden::kVersion);
  put_u32(b, 2);
  put_entry(b, "w", {1}, {1});
  put_entry(b, "w", {1}, {2});
  expect_error(b, "duplicate entry 'w'");
}

TEST(GoldenReader, RejectsAHugeDimensionWithoutAllocating) {
  std::vector<char> b(golden::kMagic, golden::kMagic + 8);
  put_u32(b, golden::kVersion);
  put_u32(b, 1);
  put_entry(b, "w", {int64_t(1) << 40}, {1});
  expect_error(b, "truncated");
}

TEST(GoldenReader, MissingFileNamesThePath) {
  try {
    golden::Fixture::load("/nonexistent/golden.bin");
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/golden.bin"), std::string::npos);
  }
}

TEST(GoldenReader, EveryCommittedFixtureParses) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(golden::fixture_path(""))) {
    if (entry.path().extension() != ".bin") continue;
    const auto fx = golden::Fixture::load(entry.path().string());
    EXPECT_FALSE(fx.names().empty()) << entry.path();
    ++count;
  }
  EXPECT_GE(count, 30);  // 11 layers, 7 losses, 12 training runs
}

TEST(GoldenCompare, AcceptsWithinToleranceAndNamesTheWorstElement) {
  const Tensor expected(Shape{3}, std::vector<float>{1.0f, -2.0f, 100.0f});
  Tensor got = expected;
  got[2] = 100.005f;  // within 1e-5 + 1e-4 * 100
  EXPECT_EQ(golden::compare("t", expected, got.view(), 1e-5, 1e-4), "");
  got[1] = -2.01f;
  const std::string msg = golden::compare("t", expected, got.view(), 1e-5, 1e-4);
  EXPECT_NE(msg.find("1 of 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("flat index 1"), std::string::npos) << msg;
  got[0] = std::nanf("");
  EXPECT_NE(golden::compare("t", expected, got.view(), 1e-5, 1e-4), "");
  const Tensor other(Shape{1, 3}, std::vector<float>{1.0f, -2.0f, 100.0f});
  EXPECT_NE(golden::compare("t", expected, other.view(), 1e-5, 1e-4).find("shape"),
            std::string::npos);
}

}  // namespace
}  // namespace redes
