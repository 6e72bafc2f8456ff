// The number of threads the hot loops (OpenMP) and the BLAS use.
#pragma once

namespace redes {

// n <= 0: all cores. Results are bit-identical for the same seed and the same n.
void set_num_threads(int n);
int num_threads();

}  // namespace redes
