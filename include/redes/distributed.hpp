// The processes a training runs on: one (the default), or the ranks of an MPI job.
//
//   mpirun -np 4 build/redes train examples/lenet5-fashion.toml --out runs/lenet-4
//
// Under mpirun the command-line tool installs an MPI world (src/mpi/, built where CMake finds
// MPI); the library itself needs no MPI. The trainer splits every batch between the ranks
// (shares differ by at most one sample), sums the gradients of the shares with allreduce_sum so
// that every rank takes the same optimizer step, and evaluates each split in shards; rank 0
// alone writes the run folder.
//
// Every member of Communicator is inline (no key function), so that its type information is
// wherever it is used: the layers take a Communicator (batch norm's sync_batchnorm) without
// linking the trainer.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace redes {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  // x summed over the ranks, in place: the same values on every rank.
  virtual void allreduce_sum(std::span<float> x) {}
  virtual void allreduce_sum(std::span<double> x) {}
  // Every rank's bytes, in rank order, on every rank.
  virtual std::vector<std::string> allgather(const std::string& bytes) { return {bytes}; }
  // bytes (x) of rank root, on every rank.
  virtual void broadcast(std::string& bytes, int root) {}
  virtual void broadcast(std::span<float> x, int root) {}
  // Ends every rank at once with this exit code (after an error on this rank alone, which the
  // others would wait for in a collective call).
  [[noreturn]] virtual void abort(int code) { std::exit(code); }
  // "Open MPI 4.1.4, 2 ranks" or "" for one process.
  virtual std::string describe() const { return ""; }
};

// The world this program runs in (a single process until set_world installs another).
Communicator& world();
void set_world(std::unique_ptr<Communicator> w);

// The samples [begin, end) of rank r's share of a batch of n (the shares of size ranks differ by
// at most one, the first ranks taking the larger).
struct Share {
  int64_t begin, end;
  int64_t size() const { return end - begin; }
};
Share share_of(int64_t n, int rank, int ranks);

// Runs f, a phase every rank runs alike (reading the config and the data, building the model),
// then makes its outcome common: in one process an error of f is rethrown as it is; under MPI
// every rank throws Agreed when any rank failed, with the one message all failed ranks share,
// or "rank 1: ...; rank 3: ..." when they differ. No rank waits for another that failed.
template <class F>
auto agreed(F&& f) -> decltype(f());
void agree(const std::exception_ptr& error);  // the collective step of agreed()

template <class F>
auto agreed(F&& f) -> decltype(f()) {
  std::exception_ptr error;
  using R = decltype(f());
  if constexpr (std::is_void_v<R>) {
    try {
      f();
    } catch (...) {
      error = std::current_exception();
    }
    agree(error);
  } else {
    std::optional<R> result;
    try {
      result.emplace(f());
    } catch (...) {
      error = std::current_exception();
    }
    agree(error);
    return std::move(*result);
  }
}

}  // namespace redes
