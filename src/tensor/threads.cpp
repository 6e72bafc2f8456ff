#include "redes/threads.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>

extern "C" void openblas_set_num_threads(int);

namespace redes {

namespace {
// The count set last, from any thread (0: none set, OpenMP's default).
std::atomic<int> chosen_threads{0};
}  // namespace

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  chosen_threads.store(n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

void use_chosen_num_threads() {
  const int n = chosen_threads.load();
  if (n > 0 && omp_get_max_threads() != n) omp_set_num_threads(n);
}

void use_one_thread_here() { omp_set_num_threads(1); }

namespace {

// The tasks runnable right now besides this one, from the fourth field of /proc/loadavg
// ("0.50 0.40 0.30 2/345 6789": 2 runnable, this process included); -1 if unknown.
int other_runnable_tasks() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return -1;
  double l1, l5, l15;
  int running = 0, total = 0;
  const int got = std::fscanf(f, "%lf %lf %lf %d/%d", &l1, &l5, &l15, &running, &total);
  std::fclose(f);
  return got == 5 && running >= 1 ? running - 1 : -1;
}

// Whether no other task wants a core: the least of a few looks 0.3 ms apart is 0 (one look
// alone often catches a shell or a kernel thread in passing; busy processes are seen in all).
bool cores_idle() {
  int least = -1;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) usleep(300);
    const int n = other_runnable_tasks();
    if (n < 0) return false;
    least = least < 0 ? n : std::min(least, n);
  }
  return least == 0;
}

}  // namespace

void apply_openmp_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  if (cores_idle()) setenv("GOMP_SPINCOUNT", "10000", 1);
  // The program's own file by its real path, so that the process keeps its name (executing
  // /proc/self/exe itself would rename it "exe").
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return;
  path[n] = '\0';
  execv(path, argv);
}

}  // namespace redes
