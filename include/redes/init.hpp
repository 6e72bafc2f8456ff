// Seeded parameter initialisers. Each fills a tensor in order from one Rng, so the same seed
// gives the same parameters everywhere. fan_in is the number of inputs summed into one output
// (F for linear, C * KH * KW for conv2d); fan_out the number of outputs one input feeds.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "redes/rng.hpp"
#include "redes/tensor.hpp"

namespace redes {

// Every entry drawn from U(lo, hi).
template <class T>
void uniform(TensorView<T> v, double lo, double hi, Rng& rng);
// Every entry drawn from N(mean, std^2).
template <class T>
void normal(TensorView<T> v, double mean, double std, Rng& rng);

// Glorot & Bengio (2010): keep the variance of activations and gradients equal across layers,
// Var(w) = 2 / (fan_in + fan_out). Uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).
template <class T>
void glorot_uniform(TensorView<T> v, int64_t fan_in, int64_t fan_out, Rng& rng);
template <class T>
void glorot_normal(TensorView<T> v, int64_t fan_in, int64_t fan_out, Rng& rng);

// He et al. (2015), for ReLU networks: Var(w) = 2 / fan_in. Uniform: a = sqrt(6 / fan_in).
template <class T>
void he_uniform(TensorView<T> v, int64_t fan_in, Rng& rng);
template <class T>
void he_normal(TensorView<T> v, int64_t fan_in, Rng& rng);

// The schemes a layer's "init" attribute may name:
//   "torch"           PyTorch's nn.Linear / nn.Conv2d default: weight and bias both
//                     U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform_ with a = sqrt(5))
//   "glorot_uniform", "glorot_normal", "he_uniform", "he_normal": the weight as above, bias 0
std::vector<std::string> init_schemes();
// Throws ConfigError "unknown init scheme 'x' (known: torch, ...)".
void check_init_scheme(const std::string& scheme);
// Initialises a weight by the named scheme (ConfigError for an unknown name).
template <class T>
void init_weight(const std::string& scheme, TensorView<T> weight, int64_t fan_in, int64_t fan_out,
                 Rng& rng);
// Initialises a bias by the named scheme: torch-style uniform for "torch", zeros otherwise.
template <class T>
void init_bias(const std::string& scheme, TensorView<T> bias, int64_t fan_in, Rng& rng);

}  // namespace redes
