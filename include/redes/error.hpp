// Typed errors. Every message is one line that names the file, the place and the problem;
// the CLI prints it as "redes: error: <message>" and exits with a non-zero code.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

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
struct Diverged : Error {  // a training loss or gradient became NaN or infinite
  using Error::Error;
};
struct Agreed : Error {  // an error the ranks of an MPI job know alike (printed by rank 0 alone)
  using Error::Error;
};

// Text from a file or a user (a column name, a cell, a key, a parser's description) as a
// message shows it: line breaks become spaces, so that the message stays one line. A quoted
// CSV field, a JSON string or a TOML key may hold several.
inline std::string one_line(std::string_view text) {
  std::string s(text);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// REDES_CHECK(cond, ErrorType, message-expression): check loudly at a boundary.
#define REDES_CHECK(cond, Type, msg)           \
  do {                                         \
    if (!(cond)) throw Type(std::string(msg)); \
  } while (0)

}  // namespace redes
