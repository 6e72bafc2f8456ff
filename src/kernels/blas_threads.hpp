// Keeping OpenBLAS on the calling thread while our own OpenMP threads issue GEMMs.
//
// A layer that splits its batch over OpenMP threads calls gemm() from each of them. A
// pthreads-built OpenBLAS would then wake its own pool for every large product: twice as many
// busy threads as cores, each pool spinning while the other works. Inside a SerialBlas scope
// every OpenBLAS call runs on the thread that makes it. (An OpenMP-built OpenBLAS already does
// so inside a parallel region, and a sequential one always does: the scope leaves them alone.)
#pragma once

namespace redes {

class SerialBlas {
 public:
  SerialBlas();
  ~SerialBlas();
  SerialBlas(const SerialBlas&) = delete;
  SerialBlas& operator=(const SerialBlas&) = delete;

 private:
  int saved_ = 0;  // OpenBLAS's thread count before the scope; 0 when nothing was changed
};

}  // namespace redes
