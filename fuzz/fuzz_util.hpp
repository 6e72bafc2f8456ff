// What every fuzz target shares: the rule an error must follow, and files in memory for the
// readers that take a path.
#pragma once
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "redes/error.hpp"

namespace redes::fuzz {

// A reader may refuse any input, but only with one of redes' errors whose message is one line
// that starts with the file's name (the CLI prints it as "redes: error: <message>"). Any other
// exception escapes the target, and libFuzzer reports the abort that follows.
template <class Read>
void expect_clean(const std::string& name, Read&& read) {
  try {
    read();
  } catch (const Error& e) {
    const std::string_view msg = e.what();
    if (!msg.starts_with(name) || msg.find_first_of("\n\r") != std::string_view::npos) {
      std::fprintf(stderr, "fuzz: the error does not name %s on one line: %s\n", name.c_str(),
                   e.what());
      std::abort();
    }
  }
}

// A file in memory (memfd), rewritten for each input: no file system in the loop, and nothing
// to clean up. path() is the name the readers open, /proc/self/fd/<fd>.
class MemFile {
 public:
  MemFile() : fd_(memfd_create("redes-fuzz", 0)) {
    if (fd_ < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  ~MemFile() { close(fd_); }

  const std::string& path() const { return path_; }
  void write(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0 || pwrite(fd_, data, size, 0) != static_cast<ssize_t>(size)) {
      std::perror("memfd write");
      std::abort();
    }
  }

 private:
  int fd_;
  std::string path_;
};

// A folder of this process in /dev/shm (memory too), for readers that look at file names;
// removed when the fuzzer exits normally.
class ShmDir {
 public:
  explicit ShmDir(const std::string& name)
      : path_(std::filesystem::path("/dev/shm") / (name + "-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ShmDir(const ShmDir&) = delete;
  ShmDir& operator=(const ShmDir&) = delete;
  ~ShmDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The bytes with their last four replaced by the CRC-32 of the rest, as the tagged files (model
// files, checkpoints) end, so that mutations reach the header instead of stopping at the
// checksum; the layout checks before it (magic, version, lengths) still see every mutation.
inline std::string with_crc(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (size >= 4) {
    const uint32_t crc =
        static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), data, static_cast<uInt>(size - 4)));
    for (int k = 0; k < 4; ++k) bytes[size - 4 + k] = static_cast<char>(crc >> (8 * k));
  }
  return bytes;
}

inline void write_file(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace redes::fuzz
