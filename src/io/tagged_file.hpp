// The container of the files redes writes for itself (model files, checkpoints): an 8-byte
// magic, u32 format version, u64 header length, header (JSON text), u64 float count, float32
// values, u32 CRC-32 of everything before it; all little endian.
//
// The reader trusts nothing: every length is checked against the file size before it is used,
// so a damaged or hostile file gives a ModelFileError, never a crash, a hang or a huge
// allocation. The order of the checks gives the most useful message: magic, version, sizes
// (truncation), checksum (corruption); the meaning of the header is the caller's.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace redes::tagged {

// What a kind of file is called in messages and how it starts.
struct Kind {
  char magic[8];
  uint32_t version;    // the newest this build writes and reads
  const char* what;    // "a redes model file"
  const char* format;  // "model format", in "model format version 3 is newer than ..."
};

// The file's bytes: header (dumped as JSON, invalid UTF-8 replaced) and the floats of blocks,
// one after the other.
std::string pack(const Kind& kind, const nlohmann::json& header,
                 const std::vector<std::span<const float>>& blocks);
// The same for a header already dumped (header_text: a JSON object, valid UTF-8).
std::string pack_text(const Kind& kind, std::string_view header_text,
                      const std::vector<std::span<const float>>& blocks);
// JSON text as pack writes its header (invalid UTF-8 replaced).
std::string dump_json(const nlohmann::json& j);

// The parts of a file whose sizes and checksum are consistent.
struct Sections {
  uint32_t version;
  std::string_view header;  // JSON text, not parsed
  const char* floats;       // little endian
  uint64_t count;
};
// Throws ModelFileError "<path>: <problem>".
Sections check_layout(const std::string& path, const std::string& bytes, const Kind& kind);

// The header parsed, as an object (ModelFileError otherwise).
nlohmann::json parse_header(const std::string& path, std::string_view header);

// Copies n little-endian floats into dst.
void floats_from_le(const char* src, size_t n, float* dst);

// Files here are small (a LeNet has 60k parameters); a bigger one is a wrong file, and reading
// it whole would be an absurd allocation.
inline constexpr uint64_t kMaxFileBytes = uint64_t(4) << 30;

}  // namespace redes::tagged
