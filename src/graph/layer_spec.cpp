// LayerSpec (a layer as written in a config or model file) and Attrs (typed, checked reads of
// its attributes).
#include <algorithm>
#include <cstdint>

#include "redes/error.hpp"
#include "redes/layer.hpp"

namespace redes {

nlohmann::json LayerSpec::to_json() const {
  return {{"kind", kind}, {"name", name}, {"inputs", inputs}, {"attrs", attrs}};
}

LayerSpec LayerSpec::from_json(const nlohmann::json& j) {
  LayerSpec s;
  s.kind = j.at("kind").get<std::string>();
  s.name = j.at("name").get<std::string>();
  s.inputs = j.at("inputs").get<std::vector<std::string>>();
  s.attrs = j.at("attrs");
  if (!s.attrs.is_object()) throw std::runtime_error("layer attrs must be an object");
  return s;
}

std::string Attrs::where(const std::string& key) const {
  std::string place;
  if (auto it = spec_.where.find(key); it != spec_.where.end()) {
    place = it->second + ": ";
  } else if (auto it2 = spec_.where.find(""); it2 != spec_.where.end()) {
    place = it2->second + ": ";
  }
  return place + "layer '" + spec_.name + "' (" + spec_.kind + "): ";
}

void Attrs::fail(const std::string& key, const std::string& problem) const {
  throw ConfigError(where(key) + problem);
}

const nlohmann::json& Attrs::get(const std::string& key) {
  used_.push_back(key);
  return spec_.attrs.at(key);
}

namespace {

// Levenshtein distance, to tell a typo ("unit") from a missing key ("units").
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

void Attrs::require(const std::string& key) {
  if (has(key)) return;
  for (const auto& [other, value] : spec_.attrs.items())
    if (edit_distance(other, key) <= 2)
      fail(other, "unknown key '" + other + "' (did you mean '" + key + "'?)");
  fail(key, "missing key '" + key + "'");
}

// No size, count or index of a layer comes near 2^31; a bigger one is a typo, and products of
// a few of them (a weight's element count) must not overflow.
constexpr int64_t kMaxInteger = (int64_t{1} << 31) - 1;

int64_t Attrs::checked(const std::string& key, const nlohmann::json& v) const {
  const int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)
                        ? INT64_MAX
                        : v.get<int64_t>();
  if (n > kMaxInteger || n < -kMaxInteger)
    fail(key, "'" + key + "' is " + v.dump() + ", too large for any layer (at most " +
                  std::to_string(kMaxInteger) + ")");
  return n;
}

int64_t Attrs::integer(const std::string& key) {
  require(key);
  const auto& v = get(key);
  if (!v.is_number_integer()) fail(key, "'" + key + "' must be an integer");
  return checked(key, v);
}

int64_t Attrs::integer(const std::string& key, int64_t fallback) {
  return has(key) ? integer(key) : fallback;
}

double Attrs::number(const std::string& key) {
  require(key);
  const auto& v = get(key);
  if (!v.is_number()) fail(key, "'" + key + "' must be a number");
  return v.get<double>();
}

double Attrs::number(const std::string& key, double fallback) {
  return has(key) ? number(key) : fallback;
}

bool Attrs::boolean(const std::string& key, bool fallback) {
  if (!has(key)) return fallback;
  const auto& v = get(key);
  if (!v.is_boolean()) fail(key, "'" + key + "' must be true or false");
  return v.get<bool>();
}

std::string Attrs::string(const std::string& key, const std::string& fallback) {
  if (!has(key)) return fallback;
  const auto& v = get(key);
  if (!v.is_string()) fail(key, "'" + key + "' must be a string");
  return v.get<std::string>();
}

std::vector<int64_t> Attrs::integers(const std::string& key, std::vector<int64_t> fallback) {
  if (!has(key)) return fallback;
  const auto& v = get(key);
  // A single integer stands for the same value in every dimension (kernel = 3 -> [3, 3]).
  if (v.is_number_integer())
    return std::vector<int64_t>(fallback.empty() ? 1 : fallback.size(), checked(key, v));
  if (!v.is_array()) fail(key, "'" + key + "' must be an integer or a list of integers");
  std::vector<int64_t> out;
  for (const auto& e : v) {
    if (!e.is_number_integer()) fail(key, "'" + key + "' must be a list of integers");
    out.push_back(checked(key, e));
  }
  return out;
}

void Attrs::finish() const {
  for (const auto& [key, value] : spec_.attrs.items()) {
    if (std::find(used_.begin(), used_.end(), key) == used_.end())
      fail(key, "unknown key '" + key + "'");
  }
}

}  // namespace redes
