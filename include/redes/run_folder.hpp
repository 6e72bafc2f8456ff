// A run folder belongs to one run. RunFolder claims it for a training: a lock (flock on the
// folder's `.lock`, released by the kernel when its process ends, however it ends) keeps a
// second process out; a folder that already holds a run is never written over by accident (the
// training goes to the next free name, `runs/cars-2`, unless asked to resume or overwrite); and
// `run.json` records who the run is, where it stands and on what it ran, as MLflow's run
// metadata does, so that `redes runs` can list it and a file copied out of the folder can be
// traced back by its run id.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace redes {

// The run's record in its folder, and the lock a training holds on the folder.
inline constexpr const char* kRunRecordName = "run.json";
inline constexpr const char* kRunLockName = ".lock";

// The time now as ISO 8601 UTC, "2026-12-06T22:15:03Z".
std::string utc_now();

class RunFolder {
 public:
  enum class Mode {
    fresh,      // a new run: a folder that holds a run is left alone, the next free name is taken
    resume,     // go on with the run in the folder (it must be one)
    overwrite,  // replace the run in the folder: the old one moves aside until the new run has
                // written its first checkpoint, and comes back if the new one fails before
  };
  // Claims `wanted` (or, fresh, the first of wanted-2, wanted-3, ... that holds no run) for this
  // process. Throws Error, one line naming the folder, when a live process holds it (its pid,
  // host and start), or, resuming, when it is not a folder or holds no checkpoint (run.json is
  // then left as it was). `record` is what run.json says of the run besides what RunFolder adds
  // (name, config, task, kind, data, epochs).
  RunFolder(const std::string& wanted, Mode mode, nlohmann::json record);
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;
  // Releases the lock; an overwritten run that was moved aside comes back unless the new run
  // reached a checkpoint or its end.
  ~RunFolder();

  const std::string& path() const { return path_; }
  // Why the folder is not the one asked for ("" when it is): one line for the log.
  const std::string& note() const { return note_; }
  const std::string& id() const { return id_; }
  // run.json as written last.
  const nlohmann::json& record() const { return record_; }

  // run.json's changes as the run goes: a checkpoint with `epochs_done` epochs done (rewritten
  // when that number changes; the replaced run, if any, is then deleted), and the end.
  void checkpointed(int epochs_done);
  void finished(int epochs_done, const std::string& ended);
  void interrupted();
  void failed(const std::string& error);

 private:
  void claim(const std::string& wanted, Mode mode);
  void write_record();
  void drop_replaced();
  void restore();

  std::string path_, note_, id_, replaced_;
  nlohmann::json record_;
  int lock_fd_ = -1;
};

}  // namespace redes
