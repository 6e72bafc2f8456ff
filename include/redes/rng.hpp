// A small, fully specified random generator (xoshiro256** seeded by splitmix64), so that the
// same seed gives the same numbers on every platform and standard library.
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace redes {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }

  void reseed(uint64_t seed) {
    for (auto& s : s_) s = splitmix64(seed);
    has_spare_ = false;
  }
  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), without modulo bias.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = next_u64();
    while (x >= limit);
    return x % n;
  }
  // Standard normal by the Box-Muller transform.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1;
    do u1 = uniform();
    while (u1 <= 0.0);
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }
  bool bernoulli(double p) { return uniform() < p; }
  // Fisher-Yates shuffle.
  template <class V>
  void shuffle(V& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }
  std::vector<int64_t> permutation(int64_t n) {
    std::vector<int64_t> p(n);
    std::iota(p.begin(), p.end(), 0);
    shuffle(p);
    return p;
  }
  // An independent generator derived from this one (for a layer, a thread, a data loader).
  Rng split() { return Rng(next_u64()); }

  // The whole state as six numbers (the four words, whether a normal is kept, its bits), for
  // a checkpoint; restore(saved()) goes on with the same numbers. restore throws
  // std::invalid_argument for anything else than six numbers.
  std::vector<uint64_t> saved() const {
    return {s_[0], s_[1], s_[2], s_[3], has_spare_ ? 1u : 0u, std::bit_cast<uint64_t>(spare_)};
  }
  void restore(const std::vector<uint64_t>& v) {
    if (v.size() != 6) throw std::invalid_argument("a generator state is six numbers");
    for (int i = 0; i < 4; ++i) s_[i] = v[i];
    has_spare_ = v[4] != 0;
    spare_ = std::bit_cast<double>(v[5]);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace redes
