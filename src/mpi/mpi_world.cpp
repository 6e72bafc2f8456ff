// The MPI world (src/mpi/mpi_world.hpp): collective calls of MPI_COMM_WORLD, whose default error
// handler ends the whole job on any MPI error.
#include "mpi/mpi_world.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>

#include "redes/distributed.hpp"

namespace redes {

namespace {

// MPI counts are ints: large buffers go in pieces.
constexpr int64_t kPiece = int64_t{1} << 30;

template <class T>
void allreduce(std::span<T> x, MPI_Datatype type) {
  for (int64_t at = 0; at < int64_t(x.size()); at += kPiece) {
    const int count = int(std::min<int64_t>(kPiece, int64_t(x.size()) - at));
    MPI_Allreduce(MPI_IN_PLACE, x.data() + at, count, type, MPI_SUM, MPI_COMM_WORLD);
  }
}

class MpiWorld : public Communicator {
 public:
  MpiWorld() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(std::span<float> x) override { allreduce(x, MPI_FLOAT); }
  void allreduce_sum(std::span<double> x) override { allreduce(x, MPI_DOUBLE); }
  std::vector<std::string> allgather(const std::string& bytes) override {
    // Messages here are metrics and predictions: far below 2 GiB.
    const int n = int(std::min<size_t>(bytes.size(), INT_MAX));
    std::vector<int> sizes(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
    MPI_Allgather(&n, 1, MPI_INT, sizes.data(), 1, MPI_INT, MPI_COMM_WORLD);
    int64_t total = 0;
    for (int r = 0; r < size_; ++r) offsets[size_t(r)] = int(total), total += sizes[size_t(r)];
    std::string all(static_cast<size_t>(total), 0);
    MPI_Allgatherv(bytes.data(), n, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR,
                   MPI_COMM_WORLD);
    std::vector<std::string> out;
    for (int r = 0; r < size_; ++r)
      out.push_back(all.substr(size_t(offsets[size_t(r)]), size_t(sizes[size_t(r)])));
    return out;
  }
  void broadcast(std::string& bytes, int root) override {
    uint64_t n = bytes.size();
    MPI_Bcast(&n, 1, MPI_UINT64_T, root, MPI_COMM_WORLD);
    bytes.resize(n);
    for (uint64_t at = 0; at < n; at += kPiece)
      MPI_Bcast(bytes.data() + at, int(std::min<uint64_t>(kPiece, n - at)), MPI_CHAR, root,
                MPI_COMM_WORLD);
  }
  void broadcast(std::span<float> x, int root) override {
    for (int64_t at = 0; at < int64_t(x.size()); at += kPiece)
      MPI_Bcast(x.data() + at, int(std::min<int64_t>(kPiece, int64_t(x.size()) - at)), MPI_FLOAT,
                root, MPI_COMM_WORLD);
  }
  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }
  std::string describe() const override {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string v(version, size_t(len));
    v = v.substr(0, v.find_first_of(",\n"));
    return v + ", " + std::to_string(size_) + " ranks";
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

bool start_mpi_world(int* argc, char*** argv) {
  const bool launched =
      std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_SIZE");
  if (!launched) return false;
  int ready = 0;
  MPI_Initialized(&ready);
  if (!ready) MPI_Init(argc, argv);
  std::atexit([] {
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Finalize();
  });
  set_world(std::make_unique<MpiWorld>());
  return true;
}

}  // namespace redes
