#include "redes/init.hpp"

#include <algorithm>
#include <cmath>

#include "redes/error.hpp"

namespace redes {
namespace {

void check_fan(int64_t fan, const char* what) {
  REDES_CHECK(fan > 0, ShapeError,
              std::string("initialiser needs a positive ") + what + ", got " + std::to_string(fan));
}

}  // namespace

template <class T>
void uniform(TensorView<T> v, double lo, double hi, Rng& rng) {
  for (T& x : v) x = static_cast<T>(rng.uniform(lo, hi));
}

template <class T>
void normal(TensorView<T> v, double mean, double std, Rng& rng) {
  for (T& x : v) x = static_cast<T>(mean + std * rng.normal());
}

template <class T>
void glorot_uniform(TensorView<T> v, int64_t fan_in, int64_t fan_out, Rng& rng) {
  check_fan(fan_in, "fan_in");
  check_fan(fan_out, "fan_out");
  const double a = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  uniform(v, -a, a, rng);
}

template <class T>
void glorot_normal(TensorView<T> v, int64_t fan_in, int64_t fan_out, Rng& rng) {
  check_fan(fan_in, "fan_in");
  check_fan(fan_out, "fan_out");
  normal(v, 0.0, std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), rng);
}

template <class T>
void he_uniform(TensorView<T> v, int64_t fan_in, Rng& rng) {
  check_fan(fan_in, "fan_in");
  const double a = std::sqrt(6.0 / static_cast<double>(fan_in));
  uniform(v, -a, a, rng);
}

template <class T>
void he_normal(TensorView<T> v, int64_t fan_in, Rng& rng) {
  check_fan(fan_in, "fan_in");
  normal(v, 0.0, std::sqrt(2.0 / static_cast<double>(fan_in)), rng);
}

std::vector<std::string> init_schemes() {
  return {"torch", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal"};
}

void check_init_scheme(const std::string& scheme) {
  const auto known = init_schemes();
  if (std::find(known.begin(), known.end(), scheme) != known.end()) return;
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  throw ConfigError("unknown init scheme '" + scheme + "' (known: " + list + ")");
}

template <class T>
void init_weight(const std::string& scheme, TensorView<T> weight, int64_t fan_in, int64_t fan_out,
                 Rng& rng) {
  check_init_scheme(scheme);
  if (scheme == "torch") {
    // kaiming_uniform_(a = sqrt(5)): gain sqrt(2 / (1 + 5)) times sqrt(3 / fan_in)
    // = 1 / sqrt(fan_in).
    check_fan(fan_in, "fan_in");
    const double a = 1.0 / std::sqrt(static_cast<double>(fan_in));
    uniform(weight, -a, a, rng);
  } else if (scheme == "glorot_uniform") {
    glorot_uniform(weight, fan_in, fan_out, rng);
  } else if (scheme == "glorot_normal") {
    glorot_normal(weight, fan_in, fan_out, rng);
  } else if (scheme == "he_uniform") {
    he_uniform(weight, fan_in, rng);
  } else {
    he_normal(weight, fan_in, rng);
  }
}

template <class T>
void init_bias(const std::string& scheme, TensorView<T> bias, int64_t fan_in, Rng& rng) {
  check_init_scheme(scheme);
  if (scheme == "torch") {
    check_fan(fan_in, "fan_in");
    const double a = 1.0 / std::sqrt(static_cast<double>(fan_in));
    uniform(bias, -a, a, rng);
  } else {
    std::fill(bias.begin(), bias.end(), T(0));
  }
}

#define REDES_INSTANTIATE_INIT(T)                                                          \
  template void uniform<T>(TensorView<T>, double, double, Rng&);                           \
  template void normal<T>(TensorView<T>, double, double, Rng&);                            \
  template void glorot_uniform<T>(TensorView<T>, int64_t, int64_t, Rng&);                  \
  template void glorot_normal<T>(TensorView<T>, int64_t, int64_t, Rng&);                   \
  template void he_uniform<T>(TensorView<T>, int64_t, Rng&);                               \
  template void he_normal<T>(TensorView<T>, int64_t, Rng&);                                \
  template void init_weight<T>(const std::string&, TensorView<T>, int64_t, int64_t, Rng&); \
  template void init_bias<T>(const std::string&, TensorView<T>, int64_t, Rng&);
REDES_INSTANTIATE_INIT(float)
REDES_INSTANTIATE_INIT(double)
#undef REDES_INSTANTIATE_INIT

}  // namespace redes
