// NumPy .npy files: a small parser of the header dict, the conversions to float, and the exact
// layout numpy.save writes.
//
// A file is the magic "\x93NUMPY", the version (a major and a minor byte), the header's length
// (little-endian: u16 in version 1, u32 in versions 2 and 3), the header, then the values in C
// order. The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (64, 1, 28, 28), }
// padded with spaces and ending in '\n'. numpy reads it with ast.literal_eval; the parser here
// reads what numpy writes and its obvious variants (either quote, any key order, any spacing, no
// trailing comma, Python 2's "3L"). Version 3 differs from 2 only in allowing UTF-8 in the header,
// which can matter only in the field names of structured dtypes, not read here anyway.
#include "redes/npy.hpp"

#include <bit>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "redes/error.hpp"
#include "redes/files.hpp"

namespace redes {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
constexpr uint64_t kMaxFileBytes = uint64_t{4} << 30;
constexpr int kMaxRank = 32;  // numpy's NPY_MAXDIMS before numpy 2
constexpr bool kBigEndianHost = std::endian::native == std::endian::big;

uint8_t byte_swap(uint8_t v) { return v; }
uint32_t byte_swap(uint32_t v) { return __builtin_bswap32(v); }
uint64_t byte_swap(uint64_t v) { return __builtin_bswap64(v); }

// Converts n values of type T, stored as the bits `Bits` at src (in the other byte order than
// the machine's when swap is set), to float. A float64 beyond float's range becomes +-inf (the
// IEEE conversion); integers beyond 2^24 round to the nearest float.
template <class T, class Bits>
void to_floats(const char* src, size_t n, bool swap, float* out) {
  for (size_t i = 0; i < n; ++i) {
    Bits bits;
    std::memcpy(&bits, src + i * sizeof bits, sizeof bits);
    if (swap) bits = byte_swap(bits);
    out[i] = static_cast<float>(std::bit_cast<T>(bits));
  }
}

struct Dtype {
  const char* descr;
  NpyArray::Type type;
  int item_bytes;
  bool big_endian;
  void (*convert)(const char* src, size_t n, bool swap, float* out);
};
using T = NpyArray::Type;
constexpr Dtype kDtypes[] = {
    {"<f4", T::float32, 4, false, to_floats<float, uint32_t>},
    {">f4", T::float32, 4, true, to_floats<float, uint32_t>},
    {"<f8", T::float64, 8, false, to_floats<double, uint64_t>},
    {">f8", T::float64, 8, true, to_floats<double, uint64_t>},
    {"|u1", T::uint8, 1, false, to_floats<uint8_t, uint8_t>},
    {"u1", T::uint8, 1, false, to_floats<uint8_t, uint8_t>},
    {"<u1", T::uint8, 1, false, to_floats<uint8_t, uint8_t>},
    {">u1", T::uint8, 1, false, to_floats<uint8_t, uint8_t>},
    {"<i4", T::int32, 4, false, to_floats<int32_t, uint32_t>},
    {">i4", T::int32, 4, true, to_floats<int32_t, uint32_t>},
    {"<i8", T::int64, 8, false, to_floats<int64_t, uint64_t>},
    {">i8", T::int64, 8, true, to_floats<int64_t, uint64_t>},
};

// s with anything unprintable as '?': text from the header in a message, which is one line.
std::string printable(std::string_view s) {
  std::string p;
  for (const char c : s) p += c >= 32 && c < 127 ? c : '?';
  return p;
}

// At most 24 characters of s, quoted, printable.
std::string quote(std::string_view s) {
  return "\"" + printable(s.substr(0, 24)) + (s.size() > 24 ? "...\"" : "\"");
}

// What a header parser found at pos.
std::string excerpt(std::string_view s, size_t pos) {
  return pos < s.size() ? quote(s.substr(pos)) : "the end of the header";
}

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// Reads the header dict, one key at a time. Every failure is a DataError naming the file.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : s_(text), path_(path) {}

  Header parse() {
    Header h;
    bool has_descr = false, has_order = false, has_shape = false;
    skip_space();
    if (!eat('{')) fail("not a dict: expected '{'");
    for (;;) {
      skip_space();
      if (eat('}')) break;
      const std::string key = quoted("a key");
      skip_space();
      if (!eat(':')) fail("expected ':' after the key '" + printable(key) + "'");
      skip_space();
      if (key == "descr") {
        if (peek() == '[') throw error("structured dtypes (a list as 'descr') are not supported");
        h.descr = quoted("the dtype of 'descr'");
        has_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        has_order = true;
      } else if (key == "shape") {
        h.shape = shape();
        has_shape = true;
      } else {
        throw error("unexpected key '" + printable(key) +
                    "' (a .npy header has 'descr', 'fortran_order' and 'shape')");
      }
      skip_space();
      if (eat(',')) continue;
      if (eat('}')) break;
      fail("expected ',' or '}' after the value of '" + printable(key) + "'");
    }
    skip_space();
    if (i_ < s_.size()) fail("unexpected text after the dict");
    const auto require = [&](bool has, const std::string& key) {
      if (!has)
        throw error("no '" + key +
                    "' key (a .npy header has 'descr', 'fortran_order' and 'shape')");
    };
    require(has_descr, "descr");
    require(has_order, "fortran_order");
    require(has_shape, "shape");
    return h;
  }

 private:
  DataError error(const std::string& problem) const {
    return DataError(path_ + ": bad .npy header: " + problem);
  }
  [[noreturn]] void fail(const std::string& expected) const {
    throw error(expected + ", found " + excerpt(s_, i_));
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (i_ >= s_.size() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  static bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  void skip_space() {
    while (i_ < s_.size() && space(s_[i_])) ++i_;
  }

  // A Python string literal in single or double quotes; a backslash keeps the next character.
  std::string quoted(const std::string& what) {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected " + what + " as a quoted string");
    std::string out;
    for (++i_; i_ < s_.size() && s_[i_] != q; ++i_) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out += s_[i_];
    }
    if (!eat(q)) throw error("a string that never ends");
    return out;
  }

  bool boolean() {
    for (const bool value : {true, false}) {
      const std::string_view word = value ? "True" : "False";
      if (s_.substr(i_).starts_with(word)) {
        i_ += word.size();
        return value;
      }
    }
    fail("expected True or False for 'fortran_order'");
  }

  // A tuple of non-negative integers: (), (3,), (2, 3), ...
  std::vector<int64_t> shape() {
    if (!eat('(')) fail("expected a tuple such as (2, 3) for 'shape'");
    std::vector<int64_t> dims;
    skip_space();
    while (!eat(')')) {
      if (dims.size() == kMaxRank)
        throw error("bad shape: more than " + std::to_string(kMaxRank) + " dimensions");
      dims.push_back(dimension());
      skip_space();
      if (eat(',')) {
        skip_space();
      } else if (peek() != ')') {
        fail("expected ',' or ')' in the shape");
      }
    }
    return dims;
  }

  int64_t dimension() {
    const size_t start = i_;
    const auto ends = [](char c) { return c == ',' || c == '(' || c == ')' || space(c); };
    while (i_ < s_.size() && !ends(s_[i_])) ++i_;
    const std::string_view token = s_.substr(start, i_ - start);
    if (token.empty()) fail("expected a dimension");
    // (at most 40 characters of it in messages)
    const std::string shown(token.substr(0, 40));
    // Python 2 wrote long integers as "3L".
    std::string_view digits = token.substr(0, token.size() - token.ends_with('L'));
    const bool negative = digits.starts_with('-');
    if (negative) digits.remove_prefix(1);
    const bool integer = !digits.empty() && digits.find_first_not_of("0123456789") == npos;
    if (!integer) throw error("bad shape: the dimension '" + shown + "' is not an integer");
    if (negative) throw error("bad shape: the dimension " + shown + " is negative");
    int64_t v = 0;
    for (const char c : digits) {
      if (v > (INT64_MAX - (c - '0')) / 10)
        throw error("bad shape: the dimension " + shown + " is too large");
      v = v * 10 + (c - '0');
    }
    return v;
  }

  static constexpr size_t npos = std::string_view::npos;
  std::string_view s_;
  const std::string& path_;
  size_t i_ = 0;
};

uint64_t little_endian(const std::string& b, size_t pos, int n) {
  uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = v << 8 | static_cast<uint8_t>(b[pos + k]);
  return v;
}

std::string encode(TensorView<const float> x, const std::string& context) {
  const Shape& s = x.shape();
  for (const int64_t d : s.dims())
    REDES_CHECK(d >= 0, Error, context + ": cannot write the shape " + s.str() + " as .npy");
  REDES_CHECK(s.rank() <= kMaxRank, Error,
              context + ": cannot write " + std::to_string(s.rank()) +
                  " dimensions as .npy (at most " + std::to_string(kMaxRank) + ")");
  REDES_CHECK(x.data() || x.numel() == 0, Error,
              context + ": a view of shape " + s.str() + " without data");
  // As numpy.save (1.24) writes it: the keys sorted; spaces that let the first dimension grow to
  // 21 digits in place (numpy's GROWTH_AXIS_MAX_DIGITS, for appending to the file); then spaces
  // and '\n' so that the data starts at a multiple of 64 bytes (ARRAY_ALIGN), 64 more spaces when
  // it already would.
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + s.str() + ", }";
  if (s.rank() > 0) header.append(21 - std::to_string(s[0]).size(), ' ');
  header.append(64 - (kMagicBytes + 4 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::string out(kMagic, kMagicBytes);
  out += {'\x01', '\x00', static_cast<char>(header.size() & 0xff),
          static_cast<char>(header.size() >> 8)};
  out += header;
  const size_t start = out.size();
  out.resize(start + 4 * static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) {
    uint32_t bits = std::bit_cast<uint32_t>(x[i]);
    if (kBigEndianHost) bits = byte_swap(bits);
    std::memcpy(&out[start + 4 * i], &bits, 4);
  }
  return out;
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  return parse_npy(read_file<DataError>(path, kMaxFileBytes, "a .npy file"), path);
}

NpyArray parse_npy(const std::string& bytes, const std::string& path) {
  const auto error = [&](const std::string& problem) { return DataError(path + ": " + problem); };
  const std::string truncated_header = "truncated: the file ends inside its .npy header";
  if (bytes.empty()) throw error("empty file, not a .npy file");
  if (bytes.compare(0, kMagicBytes, kMagic, std::min(bytes.size(), kMagicBytes)) != 0) {
    const bool zip = bytes.compare(0, 4, "PK\x03\x04") == 0;
    throw error(std::string("not a .npy file (it does not start with \"\\x93NUMPY\")") +
                (zip ? "; it is a zip archive, perhaps an .npz: extract its .npy files" : ""));
  }
  if (bytes.size() < kMagicBytes + 2) throw error(truncated_header);
  const int major = static_cast<uint8_t>(bytes[6]), minor = static_cast<uint8_t>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw error("unsupported .npy format version " + std::to_string(major) + "." +
                std::to_string(minor) + " (redes reads 1.0, 2.0 and 3.0)");
  const int length_bytes = major == 1 ? 2 : 4;
  const size_t header_start = kMagicBytes + 2 + length_bytes;
  if (bytes.size() < header_start) throw error(truncated_header);
  const uint64_t header_bytes = little_endian(bytes, kMagicBytes + 2, length_bytes);
  if (bytes.size() - header_start < header_bytes)
    throw error(truncated_header + " (it says the header is " + std::to_string(header_bytes) +
                " bytes long, the file has " + std::to_string(bytes.size() - header_start) +
                " after the length)");
  const Header h =
      HeaderParser(std::string_view(bytes).substr(header_start, header_bytes), path).parse();

  const Dtype* dtype = nullptr;
  for (const Dtype& d : kDtypes)
    if (h.descr == d.descr) dtype = &d;
  if (!dtype)
    throw error("unsupported dtype " + quote(h.descr) +
                " (redes reads float32 '<f4', float64 '<f8', uint8 '|u1', int32 '<i4' and int64 "
                "'<i8', little- or big-endian ('>f4'); convert with a.astype(np.float32))");
  NpyArray a;
  a.type = dtype->type;
  a.shape = Shape(h.shape);
  if (h.fortran_order)
    throw error("the array of shape " + a.shape.str() +
                " is in Fortran order, redes reads C order: save np.ascontiguousarray(a)");

  // Bytes of data the shape needs, checked so that no product (here or in Shape::numel) can
  // overflow, and compared with the bytes present before anything of that size is allocated.
  uint64_t needed = dtype->item_bytes;
  bool empty = false;
  for (const int64_t d : h.shape) {
    if (d == 0) empty = true;
    if (d > 0 && needed > static_cast<uint64_t>(INT64_MAX) / d)
      throw error("bad shape " + a.shape.str() + ": its size overflows 64 bits");
    if (d > 0) needed *= d;
  }
  if (empty) needed = 0;
  const uint64_t present = bytes.size() - header_start - header_bytes;
  if (present != needed)
    throw error(std::string(present < needed ? "truncated" : "trailing bytes after the data") +
                ": the shape " + a.shape.str() + " needs " + std::to_string(needed) +
                " bytes of data, the file has " + std::to_string(present));

  const char* data = bytes.data() + header_start + header_bytes;
  const size_t n = static_cast<size_t>(a.size());
  const bool swap = dtype->big_endian != kBigEndianHost;
  a.floats.resize(n);
  dtype->convert(data, n, swap, a.floats.data());
  if (a.type == T::uint8) a.bytes.assign(data, data + n);
  return a;
}

std::string npy_bytes(TensorView<const float> x) { return encode(x, "npy_bytes"); }

void write_npy(const std::string& path, TensorView<const float> x) {
  write_file_atomic(path, encode(x, path));
}

}  // namespace redes
