// The checks every layer's setup makes of its inputs, with the messages they throw.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "redes/error.hpp"
#include "redes/tensor.hpp"

namespace redes {

// Throws ShapeError "<kind> takes 1 input, got N" unless there is exactly one.
inline void require_one_input(std::string_view kind, std::span<const Shape> inputs) {
  REDES_CHECK(inputs.size() == 1, ShapeError,
              std::string(kind) + " takes 1 input, got " + std::to_string(inputs.size()));
}

// The one input of an image layer, (C, H, W); throws ShapeError for anything else.
inline const Shape& image_input(std::string_view kind, std::span<const Shape> inputs) {
  require_one_input(kind, inputs);
  const Shape& x = inputs[0];
  REDES_CHECK(x.rank() == 3 && x.numel() > 0, ShapeError,
              std::string(kind) + " needs a per-sample input (C, H, W), got " + x.str());
  return x;
}

// "3x5": a pair of sizes (kernel, stride, padding) for messages.
inline std::string pair_str(const std::array<int64_t, 2>& p) {
  return std::to_string(p[0]) + "x" + std::to_string(p[1]);
}

}  // namespace redes
