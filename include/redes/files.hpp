// Reading a whole file with a size limit checked before anything large is allocated, and
// writing one atomically.
#pragma once
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

namespace redes {

// Reads path into memory. Throws E("<path>: cannot open: <reason>"), or
// E("<path>: too large for <what> (limit N MiB)") when it holds more than max_bytes.
template <class E>
std::string read_file(const std::string& path, uint64_t max_bytes, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw E(path + ": cannot open: Is a directory");
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw E(path + ": cannot open: " + std::strerror(errno));
  const auto too_large = [&] {
    return E(path + ": too large for " + what + " (the limit is " +
             std::to_string(max_bytes >> 20) + " MiB)");
  };
  // The size on disk is only a hint for the first allocation (a pipe has none, a file may
  // grow); the limit is enforced on the bytes actually read.
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes) throw too_large();
  std::string bytes;
  if (!ec) bytes.reserve(size);
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    if (bytes.size() + got > max_bytes) throw too_large();
    bytes.append(buf, got);
  }
  if (std::ferror(f.get())) throw E(path + ": cannot read: " + std::strerror(errno));
  return bytes;
}

// Writes bytes to path atomically: a temporary file in the same folder, flushed to disk
// (fsync), then renamed over path, so that a reader sees the old file or the new one, never half
// of either. Throws Error "<path>: cannot write: <reason>" on failure.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace redes
