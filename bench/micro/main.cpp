// redes_micro: Google Benchmark micro-benchmarks of the hot kernels.
//
//   build/bench/redes_micro [--threads=N] [--benchmark_filter=REGEX] [other --benchmark_* flags]
//
// Measures the machine's peak first (one large SGEMM, printed), then runs the benchmarks; each
// reports GFLOP/s and its percentage of that peak. --threads (default 1) is the thread count of
// every kernel and of the peak measurement, so the percentages compare like with like. With
// one thread the figures come from the thread's CPU time (robust on a shared machine), with
// more from the wall time (the "/real_time" suffix of the names).
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/gemm.hpp"
#include "peak.hpp"
#include "redes/rng.hpp"
#include "redes/threads.hpp"

namespace redes::bench {
namespace {
double g_peak_gflops = 0;
bool g_real_time = false;

std::vector<void (*)()>& registrations() {
  static std::vector<void (*)()> r;
  return r;
}

// Seconds on the clock the benchmarks use (see use_real_time()).
double now_seconds() {
  timespec ts;
  clock_gettime(g_real_time ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

double peak_gflops() { return g_peak_gflops; }
bool use_real_time() { return g_real_time; }
bool add_registration(void (*register_benchmarks)()) {
  registrations().push_back(register_benchmarks);
  return true;
}
void register_all() {
  for (auto* r : registrations()) r();
}

void measure_peak(int threads) {
  constexpr int64_t n = 2048;
  std::vector<float> a(n * n), b(n * n), c(n * n);
  Rng rng(1);
  for (auto& v : a) v = static_cast<float>(rng.uniform(-1, 1));
  for (auto& v : b) v = static_cast<float>(rng.uniform(-1, 1));
  g_real_time = threads > 1;
  double best = 1e30;
  gemm<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);  // warm
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = now_seconds();
    gemm<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    best = std::min(best, now_seconds() - t0);
  }
  g_peak_gflops = 2.0 * n * n * n / best * 1e-9;
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  std::printf(
      "peak: SGEMM 2048^3 (redes::gemm, best of 5, %s) %.1f GFLOP/s on %d thread%s"
      " (OPENBLAS_CORETYPE=%s)\n",
      g_real_time ? "wall time" : "thread CPU time", g_peak_gflops, threads,
      threads == 1 ? "" : "s", coretype ? coretype : "unset");
  std::fflush(stdout);
}

}  // namespace redes::bench

int main(int argc, char** argv) {
  int threads = 1;
  std::vector<char*> args;  // argv without our own flags, for Google Benchmark
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0)
      threads = std::atoi(argv[i] + 10);
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  redes::set_num_threads(threads);
  redes::bench::measure_peak(threads);
  redes::bench::register_all();
  benchmark::AddCustomContext("threads", std::to_string(threads));
  benchmark::AddCustomContext("peak_gflops", std::to_string(redes::bench::peak_gflops()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
