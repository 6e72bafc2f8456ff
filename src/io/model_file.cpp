// The model file: "REDESMDL", u32 version, u64 header length, JSON header, u64 weight count,
// float32 weights, u32 CRC-32 of everything before it; all little endian.
//
// The reader trusts nothing: every length is checked against the file size before it is
// used, so a damaged or hostile file gives a ModelFileError, never a crash, a hang or a huge
// allocation. The order of the checks gives the most useful message: magic, version, sizes
// (truncation), checksum (corruption), then the meaning of the header.
#include "redes/model_file.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "redes/error.hpp"
#include "redes/files.hpp"

namespace redes {

namespace {

constexpr char kMagic[8] = {'R', 'E', 'D', 'E', 'S', 'M', 'D', 'L'};
constexpr size_t kPrefixBytes = 8 + 4 + 8;  // magic, version, header length
constexpr size_t kCountBytes = 8;           // weight count
constexpr size_t kCrcBytes = 4;
// Models here are small (a LeNet has 60k parameters); a bigger "model" is a wrong file, and
// reading it whole would be an absurd allocation.
constexpr uint64_t kMaxFileBytes = uint64_t(4) << 30;

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
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, src, n * 4);
  } else {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t b = std::bit_cast<uint32_t>(src[i]);
      for (int k = 0; k < 4; ++k) dst[4 * i + k] = static_cast<char>((b >> (8 * k)) & 0xff);
    }
  }
}
void floats_from_le(const char* src, size_t n, float* dst) {
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

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

[[noreturn]] void truncated(const std::string& path, uint64_t expected, size_t actual,
                            bool at_least) {
  throw ModelFileError(path + ": truncated: expected " + (at_least ? "at least " : "") +
                       std::to_string(expected) + " bytes, file has " + std::to_string(actual));
}

// The parts of a model file whose sizes and checksum are consistent.
struct Sections {
  std::string_view header;
  const char* weights;
  uint64_t weight_count;
};

Sections check_layout(const std::string& path, const std::string& bytes) {
  const size_t size = bytes.size();
  const size_t magic_seen = std::min(size, sizeof kMagic);
  if (std::memcmp(bytes.data(), kMagic, magic_seen) != 0 || size == 0)
    throw ModelFileError(path + ": not a redes model file (bad magic number)");
  const uint64_t smallest = kPrefixBytes + kCountBytes + kCrcBytes;
  if (size < 12) truncated(path, smallest, size, true);

  const uint32_t version = get_u32(bytes, 8);
  if (version > kModelFormatVersion)
    throw ModelFileError(path + ": model format version " + std::to_string(version) +
                         " is newer than this redes understands (" +
                         std::to_string(kModelFormatVersion) + "); upgrade redes");
  if (version == 0) throw ModelFileError(path + ": model format version 0 is not valid");
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
  return {std::string_view(bytes).substr(kPrefixBytes, header_len),
          bytes.data() + count_at + kCountBytes, count};
}

// numel that saturates at UINT64_MAX instead of overflowing (the dims come from a file).
uint64_t numel_saturating(const Shape& s) {
  uint64_t n = 1;
  for (int64_t d : s.dims()) {
    if (d <= 0) return 0;
    if (n > UINT64_MAX / static_cast<uint64_t>(d)) return UINT64_MAX;
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

// A header field that must be there with the right JSON type.
const nlohmann::json& field(const std::string& path, const nlohmann::json& h, const char* key,
                            nlohmann::json::value_t type, const char* type_name) {
  auto it = h.find(key);
  if (it == h.end()) throw ModelFileError(path + ": bad header: no '" + key + "' field");
  if (it->type() != type)
    throw ModelFileError(path + ": bad header: '" + key + "' must be " + type_name);
  return *it;
}

// A shape from the header: a list of positive integers of modest size.
Shape shape_from_json(const std::string& path, const nlohmann::json& j, const std::string& what) {
  auto bad = [&] {
    return ModelFileError(path + ": bad header: " + what + " must be a list of positive integers");
  };
  if (!j.is_array() || j.size() > 16) throw bad();
  std::vector<int64_t> dims;
  for (const auto& d : j) {
    if (!d.is_number_integer()) throw bad();
    const int64_t v = d.get<int64_t>();
    if (v < 1) throw bad();
    dims.push_back(v);
  }
  // Anything bigger than 2^40 elements is no tensor this library could hold; bounding it
  // keeps every later numel() from overflowing.
  Shape shape(std::move(dims));
  if (numel_saturating(shape) > (uint64_t(1) << 40))
    throw ModelFileError(path + ": bad header: " + what + " " + shape.str() + " is too large");
  return shape;
}

struct ParamEntry {
  std::string name;
  Shape shape;
};

// How many weights the layers would allocate, found by setting them up without binding any
// storage. Graph's constructor allocates the whole arena at once; asking first keeps a header
// whose layer sizes disagree with its weights (units = 10^12) from allocating them. Wiring
// errors are left for the Graph to report: this returns what it found so far.
uint64_t weights_needed(const std::vector<LayerSpec>& specs, const Shape& input) {
  std::vector<std::pair<std::string, Shape>> outputs;
  uint64_t total = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    const LayerSpec& s = specs[i];
    std::vector<Shape> in;
    if (s.inputs.empty()) in.push_back(i == 0 ? input : outputs.back().second);
    for (const auto& name : s.inputs) {
      if (name == "input") {
        in.push_back(input);
        continue;
      }
      auto it = std::find_if(outputs.begin(), outputs.end(),
                             [&](const auto& o) { return o.first == name; });
      if (it == outputs.end()) return total;
      in.push_back(it->second);
    }
    auto layer = make_layer<float>(s);
    Shape out = layer->setup(in);
    auto state = layer->params();
    for (auto* b : layer->buffers()) state.push_back(b);
    for (auto* p : state) {
      const uint64_t n = numel_saturating(p->shape);
      total = n > UINT64_MAX - total ? UINT64_MAX : total + n;
    }
    outputs.emplace_back(s.name.empty() ? s.kind + std::to_string(i + 1) : s.name, std::move(out));
  }
  return total;
}

}  // namespace

void save_model(const std::string& path, const Model& model) {
  REDES_CHECK(model.graph != nullptr, Error, path + ": cannot save a model without a graph");
  model.task(), model.kind();  // throw for a model that does not say what it is
  const Graph& g = *model.graph;

  nlohmann::json header;
  header["format"] = "redes-model";
  header["input_shape"] = g.input_shape().dims();
  header["layers"] = nlohmann::json::array();
  for (const auto& s : g.specs()) header["layers"].push_back(s.to_json());
  header["params"] = nlohmann::json::array();
  uint64_t count = 0;
  for (const auto& p : g.state()) {
    header["params"].push_back({{"name", p.name}, {"shape", p.param->shape.dims()}});
    count += static_cast<uint64_t>(p.param->numel());
  }
  header["preprocessing"] = model.prep.columns.empty() ? nlohmann::json() : model.prep.to_json();
  header["meta"] = model.meta;
  // Invalid UTF-8 in a name or meta value must not make saving fail after hours of training.
  const std::string text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);

  std::string bytes;
  bytes.reserve(kPrefixBytes + text.size() + kCountBytes + 4 * count + kCrcBytes);
  bytes.append(kMagic, sizeof kMagic);
  put_u32(bytes, kModelFormatVersion);
  put_u64(bytes, text.size());
  bytes += text;
  put_u64(bytes, count);
  // Parameter by parameter through their own pointers, in state() order; the loader fills
  // them the same way, so the file does not depend on how the arena is laid out.
  for (const auto& p : g.state()) {
    const size_t at = bytes.size();
    bytes.resize(at + 4 * static_cast<size_t>(p.param->numel()));
    floats_to_le(p.param->value, static_cast<size_t>(p.param->numel()), bytes.data() + at);
  }
  put_u32(bytes, crc32_of(bytes.data(), bytes.size()));
  write_file_atomic(path, bytes);
}

Model load_model(const std::string& path) {
  const std::string bytes = read_file<ModelFileError>(path, kMaxFileBytes, "a redes model file");
  const Sections sec = check_layout(path, bytes);

  nlohmann::json h;
  try {
    h = nlohmann::json::parse(sec.header);
  } catch (const nlohmann::json::exception& e) {
    throw ModelFileError(path + ": bad header: " + one_line(e.what()));
  }
  if (!h.is_object()) throw ModelFileError(path + ": bad header: not a JSON object");
  using vt = nlohmann::json::value_t;
  const auto& format = field(path, h, "format", vt::string, "a string");
  if (format.get<std::string>() != "redes-model")
    throw ModelFileError(path + ": bad header: format is '" + format.get<std::string>() +
                         "', not 'redes-model'");
  const Shape input =
      shape_from_json(path, field(path, h, "input_shape", vt::array, "a list"), "'input_shape'");
  const auto& layers_j = field(path, h, "layers", vt::array, "a list");
  const auto& params_j = field(path, h, "params", vt::array, "a list");
  const auto prep_it = h.find("preprocessing");
  if (prep_it == h.end()) throw ModelFileError(path + ": bad header: no 'preprocessing' field");
  const nlohmann::json& prep_j = *prep_it;
  if (!prep_j.is_null() && !prep_j.is_object())
    throw ModelFileError(path + ": bad header: 'preprocessing' must be an object or null");
  const auto& meta_j = field(path, h, "meta", vt::object, "an object");

  std::vector<LayerSpec> specs;
  for (size_t i = 0; i < layers_j.size(); ++i) {
    try {
      specs.push_back(LayerSpec::from_json(layers_j[i]));
    } catch (const std::exception& e) {
      throw ModelFileError(path + ": bad header: layer " + std::to_string(i + 1) + ": " +
                           one_line(e.what()));
    }
  }

  // The parameter list must account for exactly the weights stored; checking it before the
  // graph exists keeps a header that lies about its sizes from allocating more than the file
  // could hold.
  std::vector<ParamEntry> entries;
  uint64_t listed = 0;
  for (size_t i = 0; i < params_j.size(); ++i) {
    const auto& p = params_j[i];
    const std::string what = "params[" + std::to_string(i) + "]";
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string() || !p.contains("shape"))
      throw ModelFileError(path + ": bad header: " + what +
                           " must be {\"name\": ..., \"shape\": [...]}");
    ParamEntry e{p["name"].get<std::string>(), shape_from_json(path, p["shape"], what + ".shape")};
    const uint64_t n = numel_saturating(e.shape);
    if (n > sec.weight_count - listed)
      throw ModelFileError(path + ": bad header: the parameters listed need more than the " +
                           std::to_string(sec.weight_count) + " weights stored");
    listed += n;
    entries.push_back(std::move(e));
  }
  if (listed != sec.weight_count)
    throw ModelFileError(path + ": bad header: the parameters listed need " +
                         std::to_string(listed) + " weights, the file stores " +
                         std::to_string(sec.weight_count));

  Model model;
  try {
    const uint64_t needed = weights_needed(specs, input);
    if (needed > sec.weight_count)
      throw ModelFileError(path + ": the layers need " + std::to_string(needed) +
                           " weights, the file stores " + std::to_string(sec.weight_count));
    model.graph = std::make_unique<Graph>(std::move(specs), input);
  } catch (const ModelFileError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw ModelFileError(path + ": the layers described need more memory than there is");
  } catch (const std::exception& e) {
    throw ModelFileError(path + ": " + one_line(e.what()));
  }
  const auto& params = model.graph->state();
  if (params.size() != entries.size())
    throw ModelFileError(path + ": the layers have " + std::to_string(params.size()) +
                         " parameters, the file stores " + std::to_string(entries.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& want = params[i];
    if (want.name != entries[i].name || want.param->shape != entries[i].shape)
      throw ModelFileError(path + ": parameter " + std::to_string(i + 1) + " is " + want.name +
                           " " + want.param->shape.str() + " in the layers but " + entries[i].name +
                           " " + entries[i].shape.str() + " in the file");
  }
  const char* src = sec.weights;
  for (const auto& p : params) {
    const size_t n = static_cast<size_t>(p.param->numel());
    floats_from_le(src, n, p.param->value);
    src += 4 * n;
  }

  if (!prep_j.is_null()) {
    try {
      model.prep = Preprocessor::from_json(prep_j);
    } catch (const std::exception& e) {
      throw ModelFileError(path + ": bad preprocessing in the header: " + one_line(e.what()));
    }
  }
  model.meta = meta_j;
  // Version 1 recorded the kind only for images, series and text (in meta.data).
  if (!model.meta.contains("kind")) {
    const auto& data = model.meta.value("data", nlohmann::json::object());
    model.meta["kind"] = data.is_object() ? data.value("kind", "table") : "table";
  }
  if (!model.meta.contains("task") && !model.prep.columns.empty())
    model.meta["task"] = name(model.prep.task);
  try {
    model.task(), model.kind();
  } catch (const Error& e) {
    throw ModelFileError(path + ": bad header: " + one_line(e.what()));
  }
  return model;
}

}  // namespace redes
