// Run folders that belong to one run (redes/run_folder.hpp).
#include "redes/run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "git_commit.hpp"  // REDES_GIT_COMMIT, written at build time by cmake/git_commit.cmake
#include "redes/checkpoint.hpp"
#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/version.hpp"

namespace redes {

namespace fs = std::filesystem;

namespace {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0)
      if (const auto colon = line.find(':'); colon != std::string::npos)
        return line.substr(line.find_first_not_of(" \t", colon + 1));
  return "unknown";
}

std::string utc(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// What the process records of itself in every run: redes' version, the git commit of the build
// when it was built from a git checkout ("" otherwise; "-dirty" when it had uncommitted
// changes), the machine (CPU model, logical cores).
nlohmann::json build_and_machine() {
  nlohmann::json j = {
      {"redes_version", kVersion},
      {"machine",
       {{"cpu", cpu_model()}, {"cores", std::max(1u, std::thread::hardware_concurrency())}}}};
  if (std::strlen(REDES_GIT_COMMIT) > 0) j["git_commit"] = REDES_GIT_COMMIT;
  return j;
}

// An id for a new run: its start time (UTC) and 24 random bits, "20261206-221503-3f9a1c".
std::string new_run_id() {
  std::random_device rd;
  char tail[8];
  std::snprintf(tail, sizeof tail, "%06x", unsigned(rd()) & 0xffffffu);
  return utc("%Y%m%d-%H%M%S") + "-" + tail;
}

// Whether the folder holds a run, finished or not: one of the files a training writes there.
bool holds_run(const fs::path& dir) {
  for (const char* f : {kRunRecordName, "summary.json", "model.redes", kCheckpointName,
                        "config.toml", "metrics.csv"})
    if (fs::exists(dir / f)) return true;
  return false;
}

// Takes the folder's lock for this process and writes who holds it into the lock file (for the
// message of a process refused); returns the descriptor that holds it, or -1 when another
// process holds it, whose line `holder` receives.
int try_lock(const fs::path& dir, std::string& holder) {
  const std::string path = (dir / kRunLockName).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    const std::string me =
        "process " + std::to_string(getpid()) + " on " + host_name() + " since " + utc_now() + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
      // The lock holds without the line; a refused process then names no holder.
    }
    return fd;
  }
  const int err = errno;
  char buf[200] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  if (err != EWOULDBLOCK) throw Error(path + ": cannot lock: " + std::strerror(err));
  holder = n > 0 ? std::string(buf, size_t(n)) : "";
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r')) holder.pop_back();
  if (holder.empty()) holder = "another process";
  return -1;
}

[[noreturn]] void in_use(const fs::path& dir, const std::string& holder) {
  throw Error(dir.string() + ": in use by " + holder +
              " (its lock: " + (dir / kRunLockName).string() +
              "); wait for that training to end, or train into another folder (--out)");
}

// The temporaries of atomic writes (write_file_atomic: NAME.tmp.PID) a killed process left in a
// folder whose lock this process now holds: no other writer can be at work there.
void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const auto at = name.rfind(".tmp.");
    if (at == std::string::npos || at + 5 == name.size() ||
        name.find_first_not_of("0123456789", at + 5) != std::string::npos)
      continue;
    fs::remove(entry.path(), ec);
  }
}

}  // namespace

std::string utc_now() { return utc("%Y-%m-%dT%H:%M:%SZ"); }

RunFolder::RunFolder(const std::string& wanted, Mode mode, nlohmann::json record)
    : record_(std::move(record)) {
  try {
    claim(wanted, mode);
  } catch (...) {
    restore();
    if (lock_fd_ >= 0) ::close(lock_fd_);
    throw;
  }
}

void RunFolder::claim(const std::string& wanted, Mode mode) {
  fs::path base = fs::path(wanted).lexically_normal();
  if (!base.has_filename()) base = base.parent_path();  // "runs/x/" is "runs/x"
  REDES_CHECK(!base.empty() && base.filename() != "." && base.filename() != "..", Error,
              wanted + ": not a name for a run folder");
  for (int k = 1;; ++k) {
    const fs::path dir = k == 1 ? base : fs::path(base.string() + "-" + std::to_string(k));
    if (mode == Mode::resume) {
      REDES_CHECK(fs::is_directory(dir), Error, wanted + ": no run folder to resume");
    } else {
      REDES_CHECK(!fs::exists(dir) || fs::is_directory(dir), Error,
                  dir.string() + ": exists and is not a folder");
      fs::create_directories(dir);
    }
    std::string holder;
    const int fd = try_lock(dir, holder);
    if (fd < 0) {
      // The folder asked for is in use: refused. A later name in use is only not free.
      if (k == 1 || mode != Mode::fresh) in_use(dir, holder);
      continue;
    }
    if (mode == Mode::resume) {
      const fs::path checkpoint = dir / kCheckpointName;
      if (!fs::exists(checkpoint)) {
        ::close(fd);
        throw Error(dir.string() + ": no checkpoint to resume from (" + checkpoint.string() +
                    " is missing)");
      }
    }
    if (mode == Mode::fresh && holds_run(dir)) {
      ::close(fd);
      continue;
    }
    lock_fd_ = fd;
    path_ = dir.string();
    break;
  }
  remove_stale_temporaries(path_);
  if (path_ != base.string())
    note_ = base.string() + " holds another run; this one goes to " + path_ +
            " (--resume continues that run, --overwrite replaces it)";

  if (mode == Mode::overwrite && holds_run(path_)) {
    // The old run moves aside, still under this process' lock (the descriptor follows the
    // folder), to a hidden name `redes runs` passes over.
    replaced_ = (base.parent_path() /
                 ("." + base.filename().string() + ".replaced-" + std::to_string(getpid())))
                    .string();
    fs::remove_all(replaced_);
    fs::rename(path_, replaced_);
    fs::create_directories(path_);
    ::close(lock_fd_);
    std::string holder;
    lock_fd_ = try_lock(path_, holder);
    if (lock_fd_ < 0) {  // another process made the folder anew in between: it keeps it
      const std::string aside = replaced_;
      replaced_.clear();
      throw Error(path_ + ": taken by " + holder + " while its run moved aside to " + aside);
    }
    note_ = path_ + ": the run there is replaced (it is kept aside in " + replaced_ +
            " until this one writes its first checkpoint)";
  }

  nlohmann::json old;
  if (mode == Mode::resume) {
    try {
      old = nlohmann::json::parse(read_file<Error>((fs::path(path_) / kRunRecordName).string(),
                                                   uint64_t{1} << 20, "a run record"));
    } catch (const std::exception&) {
      old = nlohmann::json::object();  // a run from before run.json, or a damaged one: made anew
    }
  }
  const auto kept = [&](const char* key) -> const nlohmann::json* {
    return old.is_object() && old.contains(key) && old[key].is_string() ? &old[key] : nullptr;
  };
  id_ = kept("run_id") ? kept("run_id")->get<std::string>() : new_run_id();
  record_["run_id"] = id_;
  record_["status"] = "running";
  record_["started"] = kept("started") ? kept("started")->get<std::string>() : utc_now();
  record_["epochs_done"] =
      old.is_object() && old.contains("epochs_done") && old["epochs_done"].is_number_integer()
          ? old["epochs_done"].get<int64_t>()
          : 0;
  record_.update(build_and_machine());
  record_["pid"] = int64_t(getpid());
  record_["host"] = host_name();
  write_record();
}

RunFolder::~RunFolder() {
  restore();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void RunFolder::restore() {
  if (replaced_.empty()) return;
  // The new run ended before its first checkpoint: the run it was to replace comes back.
  std::error_code ec;
  fs::remove_all(path_, ec);
  fs::rename(replaced_, path_, ec);
  replaced_.clear();
}

void RunFolder::write_record() {
  write_file_atomic((fs::path(path_) / kRunRecordName).string(), record_.dump(2) + "\n");
}

void RunFolder::drop_replaced() {
  if (replaced_.empty()) return;
  std::error_code ec;
  fs::remove_all(replaced_, ec);
  replaced_.clear();
}

void RunFolder::checkpointed(int epochs_done) {
  // Once per epoch is enough for the record (checkpoints by batches or seconds come oftener).
  if (record_["epochs_done"] != epochs_done || !replaced_.empty()) {
    record_["epochs_done"] = epochs_done;
    write_record();
  }
  drop_replaced();
}

void RunFolder::finished(int epochs_done, const std::string& ended) {
  record_["status"] = "finished";
  record_["epochs_done"] = epochs_done;
  record_["ended"] = ended;
  write_record();
  drop_replaced();
}

void RunFolder::interrupted() {
  record_["status"] = "interrupted";
  record_["ended"] = utc_now();
  write_record();
}

void RunFolder::failed(const std::string& error) {
  record_["status"] = "failed";
  record_["error"] = error;
  record_["ended"] = utc_now();
  write_record();
}

}  // namespace redes
