// NumPy .npy files in and out
// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
//
// Reading: format versions 1.0, 2.0 and 3.0; C-order arrays of float32 ('<f4', '>f4'), float64
// ('<f8', '>f8'), uint8 ('|u1', 'u1', '<u1', '>u1'), int32 ('<i4', '>i4') and int64 ('<i8',
// '>i8'), any rank up to 32 (the shape () is a scalar). Every type is converted to float32
// (float64 rounds; integers beyond 2^24 round); NaN and infinities are kept as they are, the
// caller decides. Not read, each a DataError that says so: other dtypes (bool, complex, object,
// strings, structured), Fortran-order arrays (save them with np.ascontiguousarray(a)), pickles
// and .npz archives. A file holds at most 4 GiB.
//
// Nothing in the header is trusted: the shape is checked against the bytes present before
// anything of the shape's size is allocated, and a file with fewer or more data bytes than its
// shape needs is an error. Every error is one line, "<path>: <problem>".
//
// Writing: float32 ('<f4'), version 1.0, byte for byte what numpy.save (1.24) writes for the same
// array: the header padded with spaces so that the data starts at a multiple of 64 bytes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "redes/tensor.hpp"

namespace redes {

// An array read from a .npy file: its element type as stored and its shape (C order).
struct NpyArray {
  enum class Type { float32, float64, uint8, int32, int64 };
  Type type = Type::float32;
  Shape shape;                 // the array's shape; () for a scalar
  std::vector<float> floats;   // the values as float32 (every type converts; uint8 gives 0..255)
  std::vector<uint8_t> bytes;  // uint8 arrays only: the values as stored (for image pixels)
  int64_t size() const { return shape.numel(); }
};

// Reads a .npy file. Throws DataError "<path>: <problem>".
NpyArray read_npy(const std::string& path);
// The same on the bytes of a file held in memory; path only names it in errors.
NpyArray parse_npy(const std::string& bytes, const std::string& path);

// Writes a float32 array of x's shape (x is any shape, () a scalar), atomically.
// Throws Error "<path>: ...".
void write_npy(const std::string& path, TensorView<const float> x);
// The bytes write_npy writes.
std::string npy_bytes(TensorView<const float> x);

}  // namespace redes
