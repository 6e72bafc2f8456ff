// Writing a whole file atomically (see files.hpp).
#include "redes/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "redes/error.hpp"

namespace redes {

void write_file_atomic(const std::string& path, const std::string& bytes) {
  // The temporary sits in the same folder so that rename() is atomic (same file system); a
  // reader sees the old file or the new one, never half of either.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  auto fail = [&](const char* what, int err) {
    ::unlink(tmp.c_str());
    throw Error(path + ": " + what + ": " + std::strerror(err));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    throw Error(path + ": cannot write: " + std::strerror(err));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail("cannot write", err);
    }
    done += static_cast<size_t>(n);
  }
  // fsync before rename: otherwise a crash can leave the new name pointing at empty blocks.
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("cannot write", err);
  }
  if (::close(fd) != 0) fail("cannot write", errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename the temporary file", errno);
  // Make the rename itself durable; a failure here loses nothing already written.
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace redes
