// Integers read from JSON that redes did not necessarily write (checkpoints, model files'
// metadata, summaries): nlohmann's get<int64_t>() converts a float such as 9.7e19 with a
// static_cast, which is undefined behaviour out of range. These accept integer numbers only and
// throw nlohmann's type_error (302) otherwise, which the readers turn into their one-line error.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace redes {

template <class I>
I json_integer(const nlohmann::json& j) {
  if (!j.is_number_integer())
    throw nlohmann::json::type_error::create(
        302, std::string("type must be an integer number, but is ") + j.type_name(), &j);
  return j.get<I>();
}

// A list of integers.
template <class I>
std::vector<I> json_integers(const nlohmann::json& j) {
  if (!j.is_array())
    throw nlohmann::json::type_error::create(
        302, std::string("type must be a list of integers, but is ") + j.type_name(), &j);
  std::vector<I> out;
  out.reserve(j.size());
  for (const auto& v : j) out.push_back(json_integer<I>(v));
  return out;
}

// A list of lists of integers (a confusion matrix).
template <class I>
std::vector<std::vector<I>> json_integer_rows(const nlohmann::json& j) {
  if (!j.is_array())
    throw nlohmann::json::type_error::create(
        302, std::string("type must be a list of lists, but is ") + j.type_name(), &j);
  std::vector<std::vector<I>> out;
  for (const auto& row : j) out.push_back(json_integers<I>(row));
  return out;
}

}  // namespace redes
