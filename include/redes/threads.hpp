// The number of threads the hot loops (OpenMP) and the BLAS use, and how they wait.
#pragma once

namespace redes {

// n <= 0: all cores. Results are bit-identical for the same seed and the same n.
void set_num_threads(int n);
int num_threads();
// OpenMP keeps the thread count per calling thread: another thread of the program starts with
// the default (all cores), whose sums may round differently. Model's predict, evaluate and fit
// call this first, so that they run with the count set_num_threads chose, from any thread.
void use_chosen_num_threads();
// OpenMP regions started from the calling thread run on it alone: for work beside the
// threads of a computation (the trainer's batch prefetch), not in their place.
void use_one_thread_here();

// How libgomp's threads wait between parallel regions (a training step layer by layer has
// about fifteen, one in thread shares four: train.hpp, Trainer::thread_shares). libgomp's default
// spins for up to ~3 ms: on a busy machine the spinning threads take the cores from the ones doing
// the work (an epoch took 20 times longer on a shared 2-core machine). Sleeping at once
// (OMP_WAIT_POLICY=passive) costs a wake-up of tens of microseconds per region instead
// (LeNet-5: 2.1 s per epoch against 1.3 s with a short spin, on an idle 2-core machine). So, unless
// the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT, redes makes its threads sleep, after a short spin
// (GOMP_SPINCOUNT=10000, about 0.1 ms) when no other process is running at start-up (the run queue
// of /proc/loadavg, looked at 4 times within a millisecond). libgomp reads the environment when the
// program is loaded, so after a change the program starts itself again (execv of its own file with
// the same argv); call this first thing in main. Returns when nothing changed, or when the restart
// failed (then all goes on as is).
void apply_openmp_wait_policy(char** argv);

}  // namespace redes
