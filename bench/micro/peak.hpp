// The machine's measured peak, against which every micro-benchmark states its fraction.
#pragma once
#include <benchmark/benchmark.h>

#include <cstdint>

namespace redes::bench {

// GFLOP/s of one large SGEMM (2048 x 2048 x 2048 through redes::gemm), measured once by
// main() before any benchmark runs, with the thread count of the run.
double peak_gflops();
void measure_peak(int threads);

// Which clock the figures come from. With one thread, the CPU time of the calling thread (the
// BLAS computes in it): it does not count the time other processes take the core, so the
// figures hold on a shared machine. With more threads, the wall time (the worker threads'
// CPU time would not show in the calling thread's).
bool use_real_time();

// Each *_bench.cpp registers its benchmarks from a function main() calls once it knows the
// thread count: `const bool registered = add_registration([] { ... });` at namespace scope.
bool add_registration(void (*register_benchmarks)());
void register_all();

// Sets the counters every kernel benchmark reports from the FLOPs of one iteration:
//   GFLOP/s   the rate (benchmark::Counter::kIsRate divides by the measured time)
//   %peak     that rate as a percentage of peak_gflops() (shown with the "/s" of a rate)
// Register each benchmark with `if (use_real_time()) b->UseRealTime();`.
inline void report_flops(benchmark::State& state, double flops_per_iteration) {
  const double flops = flops_per_iteration * static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsRate);
  state.counters["%peak"] =
      benchmark::Counter(flops * 1e-9 * 100.0 / peak_gflops(), benchmark::Counter::kIsRate);
}

}  // namespace redes::bench
