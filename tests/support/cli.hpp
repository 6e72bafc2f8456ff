// Running build/redes as a user would, from a test: a fresh folder per test, the command's exit
// code and output, and the check that bad input ends with one clear line.
#pragma once
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace redes::test {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// A small binary task in CSV: y = 1 when x1 + x2 > 0; color (red or blue) is one-hot, so a
// network takes 4 inputs.
inline void write_binary_table(const fs::path& p, int rows) {
  std::ostringstream os;
  os << "x1,x2,color,y\n";
  for (int i = 0; i < rows; ++i) {
    const double a = ((i * 37) % 101) / 50.0 - 1, b = ((i * 59) % 103) / 51.0 - 1;
    os << a << "," << b << "," << (i % 3 ? "red" : "blue") << "," << (a + b > 0 ? 1 : 0) << "\n";
  }
  write(p, os.str());
}

// A monthly-looking series: a trend, a season of 12 and a wobble, in a column "value".
inline void write_series(const fs::path& p, int rows) {
  std::ostringstream os;
  os << "value\n";
  for (int t = 0; t < rows; ++t)
    os << 100 + 0.2 * t + 3 * std::sin(2 * M_PI * t / 12) + 0.3 * std::sin(1.7 * t) << "\n";
  write(p, os.str());
}

// A model file's bytes but its run id and the CRC-32 after them: two runs of one config with
// the same seed and threads give model files that differ in nothing else (a run resumed keeps
// its id, and its file equals the uninterrupted run's but for that id).
inline std::string without_run_id(std::string bytes) {
  const std::string key = "\"run_id\":\"";
  if (const auto at = bytes.find(key); at != std::string::npos)
    bytes.erase(at + key.size(), bytes.find('"', at + key.size()) - at - key.size());
  return bytes.substr(0, bytes.size() >= 4 ? bytes.size() - 4 : 0);
}

struct CliResult {
  int rc;
  std::string out, err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("redes-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs redes with args (a shell-quoted string) in dir_, with a time limit so a hang fails;
  // launcher goes in front of it (mpirun ...).
  CliResult redes(const std::string& args, int timeout_s = 300, const std::string& launcher = "") {
    const std::string cmd = "cd '" + dir_.string() + "' && timeout " + std::to_string(timeout_s) +
                            " " + launcher + "'" + std::string(REDES_CLI) + "' " + args +
                            " >out.txt 2>err.txt";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir_ / "out.txt"),
            slurp(dir_ / "err.txt")};
  }

  // Starts `redes args...` in dir_ without waiting, its output thrown away (standard error to
  // err_file when given); returns its pid, for the tests that stop or kill a training.
  pid_t start(const std::vector<std::string>& args, const std::string& err_file = "/dev/null") {
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (::chdir(dir_.c_str()) != 0) ::_exit(127);
      const int null = ::open("/dev/null", O_WRONLY);
      const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(null, 1);
      ::dup2(err, 2);
      std::vector<char*> argv{const_cast<char*>(REDES_CLI)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(REDES_CLI, argv.data());
      ::_exit(127);
    }
    return pid;
  }

  // Waits (at most 60 s) until `file` exists in dir_ (a started training's checkpoint); false if
  // it never does.
  bool wait_for(const std::string& file) const {
    for (int i = 0; i < 6000; ++i) {
      if (std::filesystem::exists(dir_ / file)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // A bad input: exit 1, exactly one line on stderr, naming `file` and containing `problem`.
  void expect_clear_error(const CliResult& r, const std::string& file, const std::string& problem) {
    EXPECT_EQ(r.rc, 1) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("redes: error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << "does not name " << file << ": " << r.err;
    EXPECT_NE(r.err.find(problem), std::string::npos)
        << "does not say " << problem << ": " << r.err;
  }

  fs::path dir_;
};

}  // namespace redes::test
