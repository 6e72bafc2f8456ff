// Typed errors. Every message is one line that names the file, the place and the problem;
// the CLI prints it as "redes: error: <message>" and exits with a non-zero code.
#pragma once
#include <stdexcept>
#include <string>

namespace redes {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ConfigError : Error {  // bad or unknown config key, wrong type, impossible shape
  using Error::Error;
};
struct DataError : Error {  // unreadable, malformed or inconsistent data file
  using Error::Error;
};
struct ModelFileError : Error {  // bad magic, version, checksum or truncated model file
  using Error::Error;
};
struct ShapeError : Error {  // tensors whose shapes do not fit together
  using Error::Error;
};
struct Interrupted : Error {  // training stopped on request (SIGINT, SIGTERM) after a checkpoint
  using Error::Error;
};

// REDES_CHECK(cond, ErrorType, message-expression): check loudly at a boundary.
#define REDES_CHECK(cond, Type, msg)           \
  do {                                         \
    if (!(cond)) throw Type(std::string(msg)); \
  } while (0)

}  // namespace redes
