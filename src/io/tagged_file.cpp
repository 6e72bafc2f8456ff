// The container of redes' own files (tagged_file.hpp).
#include "io/tagged_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "redes/error.hpp"

namespace redes::tagged {

namespace {

constexpr size_t kPrefixBytes = 8 + 4 + 8;  // magic, version, header length
constexpr size_t kCountBytes = 8;           // weight count
constexpr size_t kCrcBytes = 4;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t get_u32(const std::string& in, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}
uint64_t get_u64(const std::string& in, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<unsigned char>(in[at + i])) << (8 * i);
  return v;
}

// zlib's crc32 takes a 32-bit length; feed it in chunks so that any size works.
uint32_t crc32_of(const char* data, size_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

// Copies n floats between memory and little-endian bytes.
void floats_to_le(const float* src, size_t n, char* dst) {
  if (n == 0) return;  // an empty block's data() may be null, which memcpy must never be given
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, src, n * 4);
  } else {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t b = std::bit_cast<uint32_t>(src[i]);
      for (int k = 0; k < 4; ++k) dst[4 * i + k] = static_cast<char>((b >> (8 * k)) & 0xff);
    }
  }
}
[[noreturn]] void truncated(const std::string& path, uint64_t expected, size_t actual,
                            bool at_least) {
  throw ModelFileError(path + ": truncated: expected " + (at_least ? "at least " : "") +
                       std::to_string(expected) + " bytes, file has " + std::to_string(actual));
}

}  // namespace

Sections check_layout(const std::string& path, const std::string& bytes, const Kind& kind) {
  const size_t size = bytes.size();
  const size_t magic_seen = std::min(size, sizeof kind.magic);
  if (std::memcmp(bytes.data(), kind.magic, magic_seen) != 0 || size == 0)
    throw ModelFileError(path + ": not " + kind.what + " (bad magic number)");
  const uint64_t smallest = kPrefixBytes + kCountBytes + kCrcBytes;
  if (size < 12) truncated(path, smallest, size, true);

  const uint32_t version = get_u32(bytes, 8);
  if (version > kind.version)
    throw ModelFileError(path + ": " + kind.format + " version " + std::to_string(version) +
                         " is newer than this redes understands (" + std::to_string(kind.version) +
                         "); upgrade redes");
  if (version == 0) throw ModelFileError(path + ": " + kind.format + " version 0 is not valid");
  if (size < smallest) truncated(path, smallest, size, true);

  // Compare lengths with the room left rather than adding them: a corrupted length near
  // 2^64 would overflow a sum.
  const uint64_t header_len = get_u64(bytes, 12);
  if (header_len > size - smallest) {
    if (header_len > size)
      throw ModelFileError(path + ": header length " + std::to_string(header_len) +
                           " is larger than the file (" + std::to_string(size) +
                           " bytes): the file is truncated or corrupted");
    truncated(path, smallest + header_len, size, true);
  }
  const size_t count_at = kPrefixBytes + header_len;
  const uint64_t count = get_u64(bytes, count_at);
  const uint64_t room = size - smallest - header_len;
  if (count > room / 4) {
    if (count > size)
      throw ModelFileError(path + ": weight count " + std::to_string(count) +
                           " is larger than the file (" + std::to_string(size) +
                           " bytes): the file is truncated or corrupted");
    truncated(path, smallest + header_len + 4 * count, size, false);
  }
  const uint64_t expected = smallest + header_len + 4 * count;
  if (size != expected)
    throw ModelFileError(path + ": " + std::to_string(size - expected) +
                         " unexpected bytes after the checksum (expected " +
                         std::to_string(expected) + " bytes): the file is corrupted");

  if (crc32_of(bytes.data(), size - kCrcBytes) != get_u32(bytes, size - kCrcBytes))
    throw ModelFileError(path + ": checksum mismatch: the file is corrupted");
  return {version, std::string_view(bytes).substr(kPrefixBytes, header_len),
          bytes.data() + count_at + kCountBytes, count};
}

std::string dump_json(const nlohmann::json& j) {
  // Invalid UTF-8 in a name or meta value must not make saving fail after hours of training.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string pack(const Kind& kind, const nlohmann::json& header,
                 const std::vector<std::span<const float>>& blocks) {
  return pack_text(kind, dump_json(header), blocks);
}

std::string pack_text(const Kind& kind, std::string_view text,
                      const std::vector<std::span<const float>>& blocks) {
  uint64_t count = 0;
  for (const auto& b : blocks) count += b.size();
  std::string bytes;
  bytes.reserve(kPrefixBytes + text.size() + kCountBytes + 4 * count + kCrcBytes);
  bytes.append(kind.magic, sizeof kind.magic);
  put_u32(bytes, kind.version);
  put_u64(bytes, text.size());
  bytes += text;
  put_u64(bytes, count);
  for (const auto& b : blocks) {
    const size_t at = bytes.size();
    bytes.resize(at + 4 * b.size());
    floats_to_le(b.data(), b.size(), bytes.data() + at);
  }
  put_u32(bytes, crc32_of(bytes.data(), bytes.size()));
  return bytes;
}

nlohmann::json parse_header(const std::string& path, std::string_view header) {
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    throw ModelFileError(path + ": bad header: " + one_line(e.what()));
  }
  if (!h.is_object()) throw ModelFileError(path + ": bad header: not a JSON object");
  return h;
}

void floats_from_le(const char* src, size_t n, float* dst) {
  if (n == 0) return;  // (as in floats_to_le)
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, src, n * 4);
  } else {
    for (size_t i = 0; i < n; ++i) {
      uint32_t b = 0;
      for (int k = 0; k < 4; ++k)
        b |= uint32_t(static_cast<unsigned char>(src[4 * i + k])) << (8 * k);
      dst[i] = std::bit_cast<float>(b);
    }
  }
}

}  // namespace redes::tagged
