// The single-process world and the shares of a batch (redes/distributed.hpp).
#include "redes/distributed.hpp"

#include <algorithm>

#include "redes/error.hpp"

namespace redes {

namespace {

std::unique_ptr<Communicator>& world_ptr() {
  static std::unique_ptr<Communicator> w = std::make_unique<Communicator>();
  return w;
}

}  // namespace

Communicator& world() { return *world_ptr(); }

void set_world(std::unique_ptr<Communicator> w) { world_ptr() = std::move(w); }

Share share_of(int64_t n, int rank, int ranks) {
  const int64_t base = n / ranks, extra = n % ranks;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

void agree(const std::exception_ptr& error) {
  Communicator& w = world();
  if (w.size() == 1) {
    if (error) std::rethrow_exception(error);
    return;
  }
  std::string mine;
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      mine = e.what();
      if (mine.empty()) mine = "an error without a message";
    } catch (...) {
      mine = "an unknown error";
    }
  }
  const std::vector<std::string> all = w.allgather(mine);
  std::string first, listed;
  bool alike = true;
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r].empty()) {
      alike = false;
      continue;
    }
    if (first.empty()) first = all[r];
    alike = alike && all[r] == first;
    listed += (listed.empty() ? "rank " : "; rank ") + std::to_string(r) + ": " + all[r];
  }
  if (first.empty()) return;
  throw Agreed(alike ? first : listed);
}

}  // namespace redes
