// Splitting n values over the OpenMP threads in contiguous ranges, for kernels that take a range
// (the tier kernels of ReLU and Adam): the same ranges for the same n and thread count, so the
// results do not depend on scheduling.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace redes {

// body(begin, end) over [0, n): one range on the calling thread when n <= serial_max, else one
// contiguous range per OpenMP thread, cut at multiples of 16 values (a cache line of floats).
template <class F>
void for_each_range(int64_t n, int64_t serial_max, F body) {
  if (n <= serial_max) {
    body(int64_t(0), n);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = t == 0 ? 0 : std::min(n, n / nt * t / 16 * 16);
    const int64_t end = t + 1 == nt ? n : std::min(n, n / nt * (t + 1) / 16 * 16);
    if (end > begin) body(begin, end);
  }
}

}  // namespace redes
