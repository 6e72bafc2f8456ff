// Reader for the golden fixtures that tools/make_golden.py writes from PyTorch.
//
// Fixture format (version 1), all little-endian, one file per case:
//
//   magic    8 bytes  "REDESGLD"
//   version  u32      1
//   count    u32      number of entries
//   count times:
//     name_len u32      length of the name in bytes
//     name     bytes    no terminator, unique within the file
//     rank     u32      number of dimensions (0 for a scalar)
//     dims     i64[rank]
//     data     f32[prod(dims)]   row-major (a scalar holds one value)
//
// The file ends right after the last entry. Every problem (missing file, bad magic, unknown
// version, truncation, trailing bytes, duplicate or missing entry) throws std::runtime_error
// naming the file.
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "redes/tensor.hpp"

namespace redes::golden {

inline constexpr char kMagic[8] = {'R', 'E', 'D', 'E', 'S', 'G', 'L', 'D'};
inline constexpr uint32_t kVersion = 1;

class Fixture {
 public:
  // Parses the whole file at once.
  static Fixture load(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(path + ": cannot open golden fixture");
    std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return parse(path, bytes);
  }

  static Fixture parse(const std::string& path, const std::vector<char>& bytes) {
    static_assert(std::endian::native == std::endian::little,
                  "golden fixtures are little-endian; this reader does not swap bytes");
    Fixture fx;
    fx.path_ = path;
    Cursor c{path, bytes, 0};
    char magic[8];
    c.read(magic, sizeof magic, "the magic number");
    if (std::memcmp(magic, kMagic, sizeof magic) != 0)
      throw std::runtime_error(path + ": not a golden fixture (bad magic; expected \"REDESGLD\")");
    const uint32_t version = c.get<uint32_t>("the version");
    if (version != kVersion)
      throw std::runtime_error(path + ": golden fixture version " + std::to_string(version) +
                               " is not supported (this reader knows version " +
                               std::to_string(kVersion) +
                               "); regenerate with /usr/bin/python3 tools/make_golden.py");
    const uint32_t count = c.get<uint32_t>("the entry count");
    for (uint32_t e = 0; e < count; ++e) {
      const std::string what = "entry " + std::to_string(e);
      const uint32_t name_len = c.get<uint32_t>(what + " name length");
      c.need(name_len, what + " name");
      std::string name(bytes.data() + c.pos, name_len);
      c.pos += name_len;
      const uint32_t rank = c.get<uint32_t>("the rank of '" + name + "'");
      if (rank > 8)
        throw std::runtime_error(path + ": entry '" + name + "' has rank " + std::to_string(rank) +
                                 " (at most 8)");
      std::vector<int64_t> dims(rank);
      for (auto& d : dims) {
        d = c.get<int64_t>("the dimensions of '" + name + "'");
        if (d < 0)
          throw std::runtime_error(path + ": entry '" + name + "' has a negative dimension");
      }
      Shape shape(dims);
      // Check the remaining size before allocating, so that a corrupt dimension cannot ask for
      // an absurd amount of memory.
      const uint64_t numel = static_cast<uint64_t>(shape.numel());
      if (numel > (bytes.size() - c.pos) / sizeof(float))
        throw std::runtime_error(path + ": truncated in the data of '" + name + "' (needs " +
                                 std::to_string(numel) + " floats)");
      std::vector<float> data(numel);
      c.read(data.data(), numel * sizeof(float), "the data of '" + name + "'");
      if (!fx.entries_.emplace(name, Tensor(shape, std::move(data))).second)
        throw std::runtime_error(path + ": duplicate entry '" + name + "'");
      fx.order_.push_back(name);
    }
    if (c.pos != bytes.size())
      throw std::runtime_error(path + ": " + std::to_string(bytes.size() - c.pos) +
                               " unexpected bytes after the last entry");
    return fx;
  }

  const std::string& path() const { return path_; }
  bool has(const std::string& name) const { return entries_.count(name) != 0; }
  const Tensor& at(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end())
      throw std::runtime_error(path_ + ": golden fixture has no entry '" + name + "'");
    return it->second;
  }
  // A rank-0 entry's value.
  float scalar(const std::string& name) const {
    const Tensor& t = at(name);
    if (t.shape().rank() != 0)
      throw std::runtime_error(path_ + ": entry '" + name + "' is " + t.shape().str() +
                               ", not a scalar");
    return t[0];
  }
  // Entry names in file order.
  const std::vector<std::string>& names() const { return order_; }
  // Names that start with prefix, with the prefix removed (e.g. "param." -> "weight").
  std::vector<std::string> names_with_prefix(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const auto& n : order_)
      if (n.rfind(prefix, 0) == 0) out.push_back(n.substr(prefix.size()));
    return out;
  }

 private:
  struct Cursor {
    const std::string& path;
    const std::vector<char>& bytes;
    size_t pos;
    void need(size_t n, const std::string& what) const {
      if (bytes.size() - pos < n)
        throw std::runtime_error(path + ": truncated golden fixture (ends in " + what +
                                 ", at byte " + std::to_string(bytes.size()) + ")");
    }
    void read(void* dst, size_t n, const std::string& what) {
      need(n, what);
      if (n) std::memcpy(dst, bytes.data() + pos, n);
      pos += n;
    }
    template <class U>
    U get(const std::string& what) {
      U v;
      read(&v, sizeof v, what);
      return v;
    }
  };

  std::string path_;
  std::map<std::string, Tensor> entries_;
  std::vector<std::string> order_;
};

// Compares got with a fixture's expected tensor: the shapes must match and every element must
// satisfy |got - expected| <= abs_tol + rel_tol * |expected| (NaN never does). Returns "" when
// they agree, otherwise one message naming `what`, how many elements are off, and the worst.
inline std::string compare(const std::string& what, const Tensor& expected,
                           TensorView<const float> got, double abs_tol, double rel_tol) {
  if (got.shape() != expected.shape())
    return what + ": shape " + got.shape().str() + ", expected " + expected.shape().str();
  int64_t bad = 0, worst = -1;
  double worst_excess = 0;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    const double e = expected[i], g = got[i];
    const double tol = abs_tol + rel_tol * std::abs(e);
    const double err = std::abs(g - e);
    if (!(err <= tol)) {
      ++bad;
      const double excess = std::isnan(err) ? INFINITY : err / tol;
      if (worst < 0 || excess > worst_excess) worst = i, worst_excess = excess;
    }
  }
  if (!bad) return "";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                ": %lld of %lld elements off (tolerance %g + %g*|expected|); worst at flat index "
                "%lld: expected %.9g, got %.9g",
                static_cast<long long>(bad), static_cast<long long>(expected.numel()), abs_tol,
                rel_tol, static_cast<long long>(worst), expected[worst], got[worst]);
  return what + buf;
}

#ifdef REDES_SOURCE_DIR
// The committed fixture of that name, e.g. fixture_path("layer_relu.bin").
inline std::string fixture_path(const std::string& file) {
  return std::string(REDES_SOURCE_DIR) + "/tests/golden/fixtures/" + file;
}
inline Fixture load_fixture(const std::string& file) { return Fixture::load(fixture_path(file)); }
#endif

}  // namespace redes::golden
