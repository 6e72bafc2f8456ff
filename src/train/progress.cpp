// Console progress: a live bar (epoch, batch, loss, samples/s, ETA) on a terminal, one plain
// line per epoch when stderr is a file or a pipe.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "redes/train.hpp"

namespace redes {

namespace {

std::string clock_text(double s) {
  if (!(s >= 0) || s > 1e7) s = 0;
  const long t = static_cast<long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

// As Keras prints it: the loss and the main score of the training batches, then of the
// validation set.
std::string epoch_line(const EpochLog& log, int epochs) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "epoch %d/%d", log.epoch, epochs);
  std::string line = buf;
  const auto add = [&](const char* prefix, const Metrics& m) {
    std::snprintf(buf, sizeof buf, "  %sloss %.4f", prefix, m.loss);
    line += buf;
    for (const char* k : {"accuracy", "rmse"})
      if (const auto it = m.values.find(k); it != m.values.end()) {
        std::snprintf(buf, sizeof buf, "  %s%s %.4f", prefix, k, it->second);
        line += buf;
      }
  };
  add("", log.train);
  if (log.val) add("val_", *log.val);
  std::snprintf(buf, sizeof buf, "  lr %.3g  %.3gs", log.lr, log.seconds);
  return line + buf;
}

class ConsoleProgress : public Progress {
 public:
  explicit ConsoleProgress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO)) {}

  void batch(int epoch, int epochs, int64_t batch, int64_t batches, double loss,
             double samples_per_s, double eta_s) override {
    if (quiet_ || !tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (batch != batches && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const int width = 24;
    const int filled = static_cast<int>(width * batch / std::max<int64_t>(batches, 1));
    std::string bar(filled, '=');
    if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
    std::fprintf(stderr, "\r\033[Kepoch %d/%d [%s] %lld/%lld  loss %.4f  %.0f samples/s  ETA %s",
                 epoch, epochs, bar.c_str(), static_cast<long long>(batch),
                 static_cast<long long>(batches), loss, samples_per_s, clock_text(eta_s).c_str());
    std::fflush(stderr);
  }

  void epoch(const EpochLog& log, int epochs) override {
    if (quiet_) return;
    // On a terminal the bar of the last epoch stays until the next one overwrites it; the
    // epoch lines are printed every 10 epochs (and the last) so that long runs stay readable.
    if (tty_) {
      if (log.epoch % 10 != 0 && log.epoch != epochs && epochs > 20) return;
      std::fprintf(stderr, "\r\033[K");
    }
    std::fprintf(stderr, "%s\n", epoch_line(log, epochs).c_str());
  }

  void message(const std::string& line) override {
    if (quiet_) return;
    std::fprintf(stderr, "%s%s\n", tty_ ? "\r\033[K" : "", line.c_str());
  }

 private:
  bool quiet_, tty_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

std::unique_ptr<Progress> make_console_progress(bool quiet) {
  return std::make_unique<ConsoleProgress>(quiet);
}

}  // namespace redes
