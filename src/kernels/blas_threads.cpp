#include "kernels/blas_threads.hpp"

#include <cblas.h>

namespace redes {
namespace {

// openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP.
constexpr int kPthreads = 1;

}  // namespace

SerialBlas::SerialBlas() {
  if (openblas_get_parallel() != kPthreads) return;
  const int threads = openblas_get_num_threads();
  if (threads <= 1) return;
  saved_ = threads;
  openblas_set_num_threads(1);
}

SerialBlas::~SerialBlas() {
  if (saved_ > 0) openblas_set_num_threads(saved_);
}

}  // namespace redes
