// redes_bench: inference speed of a trained model, for bench/run.
//
//   redes_bench MODEL.redes [--threads T] [--batch 256] [--seconds S] [--seed S]
//
// Loads a model file, feeds it random standard-normal inputs of the model's input shape and
// times Graph::forward (inference mode) at batch `--batch` and at batch 1. Each figure is the
// median over as many calls as fit in `--seconds` (after a warm-up of a tenth of that), the
// same procedure as bench/pytorch/common.py uses for PyTorch. Prints one JSON object:
//   {"batch": 256, "throughput": samples/s, "batch_ms_median": ms per batch call,
//    "latency_us_median": µs per single-sample call, "input_shape": [...], "parameters": n,
//    "threads": T, "calls": {"batch": n, "single": n}}
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redes/model_file.hpp"
#include "redes/rng.hpp"
#include "redes/threads.hpp"

namespace {

using namespace redes;

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Seconds of each forward call on a batch of n random samples: warm-up for a tenth of the
// budget, then calls until the budget is spent (at least 5).
std::vector<double> time_forward(Graph& graph, int64_t n, double budget, Rng& rng) {
  Tensor x(graph.input_shape().batched(n));
  for (auto& v : x.values()) v = static_cast<float>(rng.normal());
  volatile float sink = 0;  // keeps the compiler from dropping the work
  auto call = [&] {
    auto out = graph.forward(x.view(), /*training=*/false, rng);
    sink = sink + out[0];
  };
  const double warm_end = now_seconds() + 0.1 * budget;
  do call();
  while (now_seconds() < warm_end);
  std::vector<double> times;
  const double end = now_seconds() + budget;
  while (times.size() < 5 || now_seconds() < end) {
    const double t0 = now_seconds();
    call();
    times.push_back(now_seconds() - t0);
  }
  return times;
}

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "redes_bench: %s\nusage: redes_bench MODEL.redes [--threads T] [--batch N] "
               "[--seconds S] [--seed S]\n",
               problem);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  // The threads wait as the redes CLI's do (redes/threads.hpp).
  redes::apply_openmp_wait_policy(argv);
  std::string model_path;
  int threads = 0;
  int64_t batch = 256;
  double seconds = 1.0;
  uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--threads") {
      threads = std::stoi(value());
    } else if (a == "--batch") {
      batch = std::stoll(value());
    } else if (a == "--seconds") {
      seconds = std::stod(value());
    } else if (a == "--seed") {
      seed = std::stoull(value());
    } else if (a == "--help" || a == "-h") {
      usage("time a model's forward pass on random inputs");
    } else if (!a.empty() && a[0] == '-') {
      usage(("unknown option " + a).c_str());
    } else if (model_path.empty()) {
      model_path = a;
    } else {
      usage("more than one model file");
    }
  }
  if (model_path.empty()) usage("no model file");
  if (batch < 1 || seconds <= 0) usage("--batch and --seconds must be positive");
  try {
    set_num_threads(threads);
    Model model = load_model(model_path);
    Graph& graph = *model.graph;
    Rng rng(seed);
    // The graph plans its buffers once per batch size: in the warm-up, outside the timed calls.
    const auto batched = time_forward(graph, batch, seconds, rng);
    const auto single = time_forward(graph, 1, seconds, rng);
    const double batch_s = median(batched);
    nlohmann::json out = {
        {"batch", batch},
        {"throughput", static_cast<double>(batch) / batch_s},
        {"batch_ms_median", batch_s * 1e3},
        {"latency_us_median", median(single) * 1e6},
        {"input_shape", graph.input_shape().dims()},
        {"parameters", graph.num_params()},
        {"threads", num_threads()},
        {"calls", {{"batch", batched.size()}, {"single", single.size()}}},
    };
    std::printf("%s\n", out.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redes_bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
