// NumPy .npy files: the bytes numpy.save writes, round trips, every dtype read, and the error of
// every kind of broken file.
//
// The reference bytes below were made once with Debian 12's python3-numpy (1.24.2), e.g.
//   /usr/bin/python3 -c "import numpy as np, io; b=io.BytesIO();
//       np.save(b, np.arange(6, dtype=np.float32).reshape(2,3)); print(b.getvalue())"
// and np.lib.format.write_array(b, a, version=(2, 0)) for the version-2 and -3 files.
#include "redes/npy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "data_test_util.hpp"
#include "redes/error.hpp"

namespace redes {
namespace {

using namespace std::string_literals;
using testing::error_of;
using testing::temp_dir;
using testing::write_temp;

// A .npy file of format version `major` (1: u16 header length, else u32) with the given header
// dict (padded and ended with '\n' as numpy does) and data bytes.
std::string npy_file(const std::string& dict, const std::string& data, int major = 1) {
  const size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  header.append(64 - (prefix + header.size() + 1) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY"s + static_cast<char>(major) + '\0';
  for (size_t k = 0; k < prefix - 8; ++k) out += static_cast<char>(header.size() >> (8 * k));
  return out + header + data;
}

std::string dict(const std::string& descr, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
}

std::string parse_error(const std::string& bytes) {
  return error_of<DataError>([&] { parse_npy(bytes, "f.npy"); });
}

// np.save(b, np.arange(6, dtype=np.float32).reshape(2, 3)), as numpy 1.24 prints it.
const std::string kNumpyArange =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    "                                                          \n"
    "\x00\x00\x00\x00\x00\x00\x80?\x00\x00\x00@\x00\x00@@\x00\x00\x80@\x00\x00\xa0@"s;

TEST(Npy, BytesMatchNumpySave) {
  const Tensor x(Shape{2, 3}, std::vector<float>{0, 1, 2, 3, 4, 5});
  EXPECT_EQ(npy_bytes(x), kNumpyArange);
  const NpyArray a = parse_npy(kNumpyArange, "arange.npy");
  EXPECT_EQ(a.type, NpyArray::Type::float32);
  EXPECT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(a.floats, x.values());
  EXPECT_TRUE(a.bytes.empty());
}

TEST(Npy, HeaderPaddingMatchesNumpySave) {
  // The header length and the spaces before its '\n' that numpy 1.24 writes for zeros of each
  // shape: 20 spaces let the first dimension grow, the rest align the data to 64 bytes. For the
  // 14-dimensional shape the header would end exactly at 128, and numpy adds 64 spaces.
  struct Case {
    Shape shape;
    std::string text;
    int header_bytes, spaces;
  };
  const Shape d14{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100};
  const std::vector<Case> cases = {
      {Shape{}, "()", 118, 62},
      {Shape{0}, "(0,)", 118, 60},
      {Shape{3}, "(3,)", 118, 60},
      {Shape{2, 3}, "(2, 3)", 118, 58},
      {Shape{2, 1, 4, 4}, "(2, 1, 4, 4)", 118, 52},
      {Shape{64, 1, 28, 28}, "(64, 1, 28, 28)", 118, 49},
      {d14, "(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 100)", 182, 84},
  };
  for (const Case& c : cases) {
    const Tensor x(c.shape);
    const std::string b = npy_bytes(x);
    const std::string expect = "\x93NUMPY\x01\x00"s + static_cast<char>(c.header_bytes) + '\0' +
                               dict("<f4", c.text) + std::string(c.spaces, ' ') + "\n";
    EXPECT_EQ(b.substr(0, expect.size()), expect) << c.text;
    EXPECT_EQ(b.size(), expect.size() + 4 * x.numel()) << c.text;
    EXPECT_EQ(expect.size() % 64, 0u) << c.text;
  }
}

TEST(Npy, RoundTripsShapes) {
  for (const Shape& shape : {Shape{}, Shape{0}, Shape{3}, Shape{2, 3}, Shape{2, 1, 4, 4}}) {
    Tensor x(shape);
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = 0.5f * static_cast<float>(i) - 1.25f;
    const std::string path = (temp_dir() / "round-trip.npy").string();
    write_npy(path, x);
    const NpyArray a = read_npy(path);
    EXPECT_EQ(a.type, NpyArray::Type::float32);
    EXPECT_EQ(a.shape, shape);
    EXPECT_EQ(a.size(), x.numel());
    EXPECT_EQ(a.floats, x.values()) << shape.str();
  }
}

TEST(Npy, ReadsEveryDtype) {
  // np.array(values, dtype=descr) saved by numpy: the data bytes after the header.
  struct Case {
    std::string descr, data;
    NpyArray::Type type;
    std::vector<float> floats;
  };
  const std::vector<float> f4{1.5f, -2.25f, 1e30f}, f8{1.5f, -2.25f, 0.1f},
      i4{-2147483648.0f, 0, 7}, i8{-1, 0, static_cast<float>(123456789012LL)}, u1{0, 7, 255};
  using T = NpyArray::Type;
  const std::vector<Case> cases = {
      {"<f4", "\x00\x00\xc0\x3f\x00\x00\x10\xc0\xca\xf2\x49\x71"s, T::float32, f4},
      {">f4", "\x3f\xc0\x00\x00\xc0\x10\x00\x00\x71\x49\xf2\xca"s, T::float32, f4},
      {"<f8",
       "\x00\x00\x00\x00\x00\x00\xf8\x3f\x00\x00\x00\x00\x00\x00\x02\xc0"
       "\x9a\x99\x99\x99\x99\x99\xb9\x3f"s,
       T::float64, f8},
      {">f8",
       "\x3f\xf8\x00\x00\x00\x00\x00\x00\xc0\x02\x00\x00\x00\x00\x00\x00"
       "\x3f\xb9\x99\x99\x99\x99\x99\x9a"s,
       T::float64, f8},
      {"|u1", "\x00\x07\xff"s, T::uint8, u1},
      {"u1", "\x00\x07\xff"s, T::uint8, u1},  // (the same bytes in the other spellings)
      {"<u1", "\x00\x07\xff"s, T::uint8, u1},
      {"<i4", "\x00\x00\x00\x80\x00\x00\x00\x00\x07\x00\x00\x00"s, T::int32, i4},
      {">i4", "\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07"s, T::int32, i4},
      {"<i8",
       "\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00"
       "\x14\x1a\x99\xbe\x1c\x00\x00\x00"s,
       T::int64, i8},
      {">i8",
       "\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00"
       "\x00\x00\x00\x1c\xbe\x99\x1a\x14"s,
       T::int64, i8},
  };
  for (const Case& c : cases) {
    const NpyArray a = parse_npy(npy_file(dict(c.descr, "(3,)"), c.data), c.descr);
    EXPECT_EQ(a.type, c.type) << c.descr;
    EXPECT_EQ(a.shape, Shape{3}) << c.descr;
    EXPECT_EQ(a.floats, c.floats) << c.descr;
    EXPECT_EQ(a.bytes.empty(), c.type != T::uint8) << c.descr;
  }
}

TEST(Npy, Uint8KeepsTheBytes) {
  const NpyArray a = parse_npy(npy_file(dict("|u1", "(2, 2)"), "\x00\x07\x80\xff"s), "px.npy");
  EXPECT_EQ(a.type, NpyArray::Type::uint8);
  EXPECT_EQ(a.shape, (Shape{2, 2}));
  EXPECT_EQ(a.bytes, (std::vector<uint8_t>{0, 7, 128, 255}));
  EXPECT_EQ(a.floats, (std::vector<float>{0, 7, 128, 255}));
}

TEST(Npy, NonFiniteValuesAreRead) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  const Tensor x(Shape{3}, std::vector<float>{std::nanf(""), inf, -inf});
  const NpyArray a = parse_npy(npy_bytes(x), "nan.npy");
  EXPECT_TRUE(std::isnan(a.floats[0]));
  EXPECT_EQ(a.floats[1], inf);
  EXPECT_EQ(a.floats[2], -inf);
  // np.array([np.nan, -np.inf, 1e300]) as float64; 1e300 is beyond float's range: +inf.
  const NpyArray d = parse_npy(npy_file(dict("<f8", "(3,)"),
                                        "\x00\x00\x00\x00\x00\x00\xf8\x7f"
                                        "\x00\x00\x00\x00\x00\x00\xf0\xff"
                                        "\x9c\x75\x00\x88\x3c\xe4\x37\x7e"s),
                               "nan64.npy");
  EXPECT_TRUE(std::isnan(d.floats[0]));
  EXPECT_EQ(d.floats[1], -inf);
  EXPECT_EQ(d.floats[2], inf);
}

TEST(Npy, ReadsVersion2And3Headers) {
  // np.lib.format.write_array(b, np.arange(6, dtype=np.float32).reshape(2, 3), version=(2, 0)):
  // the header length is a u32; version 3.0 is the same bytes with another version byte.
  const std::string v2 =
      "\x93NUMPY\x02\x00t\x00\x00\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
      "                                                        \n"
      "\x00\x00\x00\x00\x00\x00\x80?\x00\x00\x00@\x00\x00@@\x00\x00\x80@\x00\x00\xa0@"s;
  for (const char major : {'\x02', '\x03'}) {
    std::string b = v2;
    b[6] = major;
    const NpyArray a = parse_npy(b, "v2.npy");
    EXPECT_EQ(a.shape, (Shape{2, 3}));
    EXPECT_EQ(a.floats, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  }
}

TEST(Npy, AcceptsVariantsOfTheHeaderDict) {
  // What ast.literal_eval accepts beside what numpy writes: other quotes, key order and spacing,
  // no trailing comma, Python 2's long integers.
  for (const std::string d :
       {"{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3)}",
        "{'shape':(2,3),'fortran_order':False,'descr':'<f4'}",
        "  {\t'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }"}) {
    const NpyArray a = parse_npy(npy_file(d, std::string(24, '\0')), "variant.npy");
    EXPECT_EQ(a.shape, (Shape{2, 3})) << d;
  }
}

TEST(NpyErrors, NotANpyFile) {
  EXPECT_EQ(parse_error(""), "f.npy: empty file, not a .npy file");
  EXPECT_EQ(parse_error("\x89PNG\r\n\x1a\n and more"),
            "f.npy: not a .npy file (it does not start with \"\\x93NUMPY\")");
  EXPECT_CONTAINS(parse_error("PK\x03\x04 and more"), "zip archive, perhaps an .npz");
  const std::string msg = error_of<DataError>([] { read_npy("/no/such/file.npy"); });
  EXPECT_CONTAINS(msg, "/no/such/file.npy: cannot open");
}

TEST(NpyErrors, UnsupportedVersion) {
  std::string b = kNumpyArange;
  b[6] = '\x04';
  EXPECT_EQ(parse_error(b),
            "f.npy: unsupported .npy format version 4.0 (redes reads 1.0, 2.0 and 3.0)");
  b[6] = '\x01', b[7] = '\x01';
  EXPECT_CONTAINS(parse_error(b), "unsupported .npy format version 1.1");
  b[6] = '\x00', b[7] = '\x00';
  EXPECT_CONTAINS(parse_error(b), "unsupported .npy format version 0.0");
}

TEST(NpyErrors, TruncatedHeader) {
  for (const size_t n : {3, 6, 7, 9}) {
    EXPECT_EQ(parse_error(kNumpyArange.substr(0, n)),
              "f.npy: truncated: the file ends inside its .npy header")
        << n;
  }
  EXPECT_EQ(parse_error(kNumpyArange.substr(0, 60)),
            "f.npy: truncated: the file ends inside its .npy header (it says the header is 118 "
            "bytes long, the file has 50 after the length)");
  // Version 2: a u32 length, here 4 GiB - 1.
  EXPECT_CONTAINS(parse_error("\x93NUMPY\x02\x00\xff\xff\xff\xff{}"s),
                  "it says the header is 4294967295 bytes long, the file has 2");
}

TEST(NpyErrors, HeaderNotADict) {
  EXPECT_CONTAINS(parse_error(npy_file("[1, 2, 3]", "")),
                  "f.npy: bad .npy header: not a dict: expected '{', found \"[1, 2, 3]  ");
  EXPECT_CONTAINS(parse_error(npy_file("", "")), "not a dict: expected '{', found the end");
  // A dict cut short (the header length says less than numpy wrote).
  std::string b = kNumpyArange.substr(0, 30);
  b[8] = 15;  // {'descr': '<f4'
  EXPECT_EQ(parse_error(b),
            "f.npy: bad .npy header: expected ',' or '}' after the value of 'descr', found the "
            "end of the header");
  EXPECT_CONTAINS(parse_error(npy_file("{'descr' '<f4'}", "")),
                  "expected ':' after the key 'descr', found \"'<f4'}");
  EXPECT_CONTAINS(parse_error(npy_file("{descr: '<f4'}", "")), "expected a key as a quoted string");
  EXPECT_CONTAINS(parse_error(npy_file("{'descr: '<f4'}", "")), "expected ':' after the key");
  EXPECT_CONTAINS(parse_error(npy_file("{'descr", "")), "a string that never ends");
  EXPECT_CONTAINS(parse_error(npy_file(dict("<f4", "(2,)") + " x", "")),
                  "unexpected text after the dict, found \"x");
}

TEST(NpyErrors, MissingOrUnknownKey) {
  EXPECT_EQ(parse_error(npy_file("{'descr': '<f4', 'fortran_order': False}", "")),
            "f.npy: bad .npy header: no 'shape' key (a .npy header has 'descr', 'fortran_order' "
            "and 'shape')");
  EXPECT_CONTAINS(parse_error(npy_file("{'shape': (), 'fortran_order': False}", "")),
                  "no 'descr' key");
  EXPECT_CONTAINS(parse_error(npy_file("{'shape': (), 'descr': '<f4'}", "")),
                  "no 'fortran_order' key");
  EXPECT_CONTAINS(parse_error(npy_file("{'shape': (), 'order': 'C'}", "")),
                  "bad .npy header: unexpected key 'order'");
  // (a key with a line break, unprintable, stays on the message's one line)
  EXPECT_CONTAINS(parse_error(npy_file("{'shape': (), 'or\nder': 'C'}", "")),
                  "bad .npy header: unexpected key 'or?der'");
  EXPECT_CONTAINS(parse_error(npy_file("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", "")),
                  "expected True or False for 'fortran_order', found \"0");
}

TEST(NpyErrors, BadShapes) {
  const auto shape_error = [](const std::string& shape) {
    return parse_error(npy_file(dict("<f4", shape), ""));
  };
  EXPECT_EQ(shape_error("(2, -3)"),
            "f.npy: bad .npy header: bad shape: the dimension -3 is negative");
  EXPECT_CONTAINS(shape_error("(2.5,)"), "bad shape: the dimension '2.5' is not an integer");
  EXPECT_CONTAINS(shape_error("('a', 2)"), "the dimension ''a'' is not an integer");
  EXPECT_CONTAINS(shape_error("(None,)"), "the dimension 'None' is not an integer");
  EXPECT_CONTAINS(shape_error("(1e3,)"), "the dimension '1e3' is not an integer");
  EXPECT_CONTAINS(shape_error("(2, (3,))"), "expected a dimension, found \"(3,))");
  EXPECT_CONTAINS(shape_error("(,)"), "expected a dimension, found \",)");
  EXPECT_CONTAINS(shape_error("(2 3)"), "expected ',' or ')' in the shape, found \"3)");
  EXPECT_CONTAINS(
      parse_error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3", "")),
      "expected ',' or ')' in the shape, found the end of the header");
  EXPECT_CONTAINS(shape_error("[2, 3]"), "expected a tuple such as (2, 3) for 'shape'");
  EXPECT_CONTAINS(shape_error("(99999999999999999999,)"),
                  "the dimension 99999999999999999999 is too large");
  std::string many = "(";
  for (int i = 0; i < 33; ++i) many += "1, ";
  EXPECT_CONTAINS(shape_error(many + ")"), "bad shape: more than 32 dimensions");
  // Each dimension fits in 64 bits, their product (times 4 bytes) does not.
  EXPECT_EQ(shape_error("(4294967296, 4294967296)"),
            "f.npy: bad shape (4294967296, 4294967296): its size overflows 64 bits");
  EXPECT_CONTAINS(shape_error("(3037000499, 3037000499)"), "overflows 64 bits");
  // A zero makes an empty array; the other dimensions must still fit together (as in numpy).
  EXPECT_CONTAINS(shape_error("(0, 4294967296, 4294967296)"), "overflows 64 bits");
  const NpyArray a = parse_npy(npy_file(dict("<f4", "(0, 1000000000, 1000000000)"), ""), "z");
  EXPECT_EQ(a.size(), 0);
  EXPECT_TRUE(a.floats.empty());
}

TEST(NpyErrors, UnsupportedDtypes) {
  const std::string supported =
      "(redes reads float32 '<f4', float64 '<f8', uint8 '|u1', int32 '<i4' and int64 '<i8', "
      "little- or big-endian ('>f4'); convert with a.astype(np.float32))";
  EXPECT_EQ(parse_error(npy_file(dict("<c8", "(2,)"), "")),
            "f.npy: unsupported dtype \"<c8\" " + supported);
  for (const char* descr : {"|O", "<U5", "|b1", "<f2", "<u2", "<i2", "=f4", ""})
    EXPECT_CONTAINS(parse_error(npy_file(dict(descr, "(2,)"), "")),
                    "unsupported dtype \""s + descr + "\" (redes reads")
        << descr;
  EXPECT_EQ(
      parse_error(npy_file(
          "{'descr': [('x', '<f4'), ('y', '<i8')], 'fortran_order': False, 'shape': (2,)}", "")),
      "f.npy: bad .npy header: structured dtypes (a list as 'descr') are not supported");
}

TEST(NpyErrors, FortranOrder) {
  const std::string b =
      npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", std::string(24, '\0'));
  EXPECT_EQ(parse_error(b),
            "f.npy: the array of shape (2, 3) is in Fortran order, redes reads C order: save "
            "np.ascontiguousarray(a)");
}

TEST(NpyErrors, DataOfTheWrongLength) {
  EXPECT_EQ(parse_error(npy_file(dict("|u1", "(64, 1, 28, 28)"), std::string(12, '\0'))),
            "f.npy: truncated: the shape (64, 1, 28, 28) needs 50176 bytes of data, the file has "
            "12");
  EXPECT_EQ(parse_error(kNumpyArange.substr(0, kNumpyArange.size() - 1)),
            "f.npy: truncated: the shape (2, 3) needs 24 bytes of data, the file has 23");
  EXPECT_EQ(parse_error(kNumpyArange + "xyz"),
            "f.npy: trailing bytes after the data: the shape (2, 3) needs 24 bytes of data, the "
            "file has 27");
  EXPECT_CONTAINS(parse_error(npy_file(dict("<f8", "()"), "1234567")),
                  "truncated: the shape () needs 8 bytes of data, the file has 7");
  // Through a file too: the path names it.
  const std::string path = write_temp("short.npy", kNumpyArange.substr(0, 140));
  EXPECT_EQ(error_of<DataError>([&] { read_npy(path); }),
            path + ": truncated: the shape (2, 3) needs 24 bytes of data, the file has 12");
}

TEST(NpyErrors, HugeShapeFailsFastWithoutAllocating) {
  // Had the reader allocated the shape's 4e18 bytes first, it would throw std::bad_alloc (or
  // std::length_error), not this DataError; the 8 GB of the second could even succeed slowly.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(parse_error(npy_file(dict("<f4", "(1000000000, 1000000000)"), "")),
            "f.npy: truncated: the shape (1000000000, 1000000000) needs 4000000000000000000 "
            "bytes of data, the file has 0");
  EXPECT_CONTAINS(parse_error(npy_file(dict("<f8", "(1000000000,)"), std::string(16, '\0'))),
                  "needs 8000000000 bytes of data, the file has 16");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(NpyErrors, WriteFailureNamesThePath) {
  const Tensor x(Shape{2});
  const std::string path = (temp_dir() / "no-such-folder" / "x.npy").string();
  EXPECT_CONTAINS(error_of<Error>([&] { write_npy(path, x); }), path + ": cannot write");
  std::vector<int64_t> dims(33, 1);
  const Tensor y{Shape(dims)};
  EXPECT_CONTAINS(error_of<Error>([&] { npy_bytes(y); }),
                  "npy_bytes: cannot write 33 dimensions as .npy (at most 32)");
}

}  // namespace
}  // namespace redes
