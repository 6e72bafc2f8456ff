// IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed.
//
// The format (LeCun's): a big-endian magic number 0x000008DD, where 08 says the values are
// unsigned bytes and DD is the number of dimensions, then DD big-endian uint32 sizes, then the
// values in row-major order. Images are 0x00000803 (N, H, W); labels are 0x00000801 (N).
//
// Nothing in a header is trusted: the pixel count is checked against a limit before anything is
// allocated, and the values are read in chunks, so a header that claims more than the file holds
// costs no more memory than the file itself. A gzip file is inflated as a stream with a cap
// computed from its own header: a file that inflates to more than its header promises is an
// error found after reading one byte too many, not after filling the memory.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "redes/error.hpp"
#include "redes/images.hpp"

namespace redes {
namespace {

constexpr uint32_t kImageMagic = 0x00000803;
constexpr uint32_t kLabelMagic = 0x00000801;
// At most 2^31 values in one file (Fashion-MNIST's training images are 47 million).
constexpr uint64_t kMaxValues = uint64_t{1} << 31;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// The bytes of a file, inflated on the way when the file is gzip-compressed (it starts with
// the gzip magic 1f 8b). The file is read from disk in 64 KiB chunks, so that reading
// Fashion-MNIST holds the pixels and little else (not the 26 MB compressed file beside them).
// read() returns fewer bytes than asked only at the end of the data.
class IdxStream {
 public:
  explicit IdxStream(const std::string& path) : path_(path), file_(nullptr, &std::fclose) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
      throw DataError(path + ": cannot open: Is a directory");
    file_.reset(std::fopen(path.c_str(), "rb"));
    if (!file_) throw DataError(path + ": cannot open: " + std::strerror(errno));
    const auto size = std::filesystem::file_size(path, ec);
    file_size_ = ec ? UINT64_MAX : size;
    buf_.resize(1 << 16);
    refill();
    gzip_ = avail_ >= 2 && buf_[0] == 0x1f && buf_[1] == 0x8b;
    if (gzip_) {
      // 16 + MAX_WBITS: a gzip wrapper (header and CRC-32 trailer) around deflate data.
      if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK)
        throw DataError(path_ + ": cannot start gzip decompression");
      inflating_ = true;
    }
  }
  ~IdxStream() {
    if (inflating_) inflateEnd(&zs_);
  }
  IdxStream(const IdxStream&) = delete;
  IdxStream& operator=(const IdxStream&) = delete;

  // The most bytes the file can hold: its size, or for gzip the size times deflate's largest
  // compression ratio (1032:1). A bound that a lying header cannot raise.
  uint64_t max_size() const {
    return gzip_ ? (file_size_ > UINT64_MAX / 1032 ? UINT64_MAX : file_size_ * 1032) : file_size_;
  }

  size_t read(uint8_t* dst, size_t n) { return gzip_ ? inflate_into(dst, n) : copy_into(dst, n); }

 private:
  // Reads the next chunk of the file into buf_ (when the previous one is used up).
  void refill() {
    next_ = buf_.data();
    avail_ = eof_ ? 0 : std::fread(buf_.data(), 1, buf_.size(), file_.get());
    if (std::ferror(file_.get())) throw DataError(path_ + ": cannot read: " + std::strerror(errno));
    if (avail_ == 0) eof_ = true;
  }

  size_t copy_into(uint8_t* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      if (avail_ == 0) refill();
      if (avail_ == 0) break;
      const size_t take = std::min(n - got, avail_);
      std::copy_n(next_, take, dst + got);
      next_ += take, avail_ -= take, got += take;
    }
    return got;
  }

  size_t inflate_into(uint8_t* dst, size_t n) {
    size_t got = 0;
    while (got < n && !ended_) {
      if (avail_ == 0) refill();
      zs_.next_in = next_;
      zs_.avail_in = static_cast<uInt>(avail_);
      zs_.next_out = dst + got;
      zs_.avail_out = static_cast<uInt>(std::min<size_t>(n - got, UINT32_MAX));
      const uInt before = zs_.avail_out;
      const int rc = inflate(&zs_, Z_NO_FLUSH);
      got += before - zs_.avail_out;
      next_ = zs_.next_in;
      avail_ = zs_.avail_in;
      if (rc == Z_STREAM_END) {
        // gzip allows several members one after the other (cat a.gz b.gz); zeros may pad the end.
        for (;;) {
          while (avail_ > 0 && *next_ == 0) ++next_, --avail_;
          if (avail_ > 0 || eof_) break;
          refill();
        }
        if (avail_ == 0) {
          ended_ = true;
        } else if (inflateReset(&zs_) != Z_OK) {
          throw DataError(path_ + ": corrupt gzip data: cannot restart after a member");
        }
      } else if (rc == Z_BUF_ERROR) {
        // No progress: the input is used up (refilled at the top of the loop) or has ended.
        if (avail_ == 0 && eof_)
          throw DataError(path_ + ": corrupt gzip data: the compressed stream ends early");
      } else if (rc != Z_OK) {
        throw DataError(path_ + ": corrupt gzip data: " + (zs_.msg ? zs_.msg : zError(rc)));
      }
    }
    return got;
  }

  std::string path_;
  std::unique_ptr<FILE, int (*)(FILE*)> file_;
  uint64_t file_size_ = 0;
  std::vector<uint8_t> buf_;
  uint8_t* next_ = nullptr;  // the unread part of buf_
  size_t avail_ = 0;
  bool gzip_ = false, inflating_ = false, ended_ = false, eof_ = false;
  z_stream zs_{};
};

struct IdxHeader {
  std::vector<uint32_t> dims;
  uint64_t values = 1;  // the product of dims
};

IdxHeader read_header(IdxStream& in, const std::string& path, uint32_t magic, const char* what) {
  uint8_t buf[4];
  const auto truncated_header = [&] {
    return DataError(path + ": truncated: the file ends inside its IDX header");
  };
  if (in.read(buf, 4) != 4) throw truncated_header();
  const auto be32 = [](const uint8_t* b) {
    return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
  };
  const uint32_t found = be32(buf);
  if (found != magic) {
    std::string hint;
    if (found == kImageMagic) hint = ", which is an IDX image file";
    if (found == kLabelMagic) hint = ", which is an IDX label file";
    if ((found >> 8) == 0x08 && hint.empty())
      hint = ", IDX bytes with " + std::to_string(found & 0xff) + " dimensions";
    throw DataError(path + ": not an IDX " + what + " file (magic " + hex32(found) + hint +
                    "; expected " + hex32(magic) + ")");
  }
  IdxHeader h;
  h.dims.resize(magic & 0xff);
  for (auto& d : h.dims) {
    if (in.read(buf, 4) != 4) throw truncated_header();
    d = be32(buf);
    // Saturating product: stays above the limit once it has passed it.
    h.values = std::min(h.values * d, kMaxValues + 1);
  }
  return h;
}

// Reads `keep` values (the first ones), then checks that exactly `total` follow the header.
// truncated(held) builds the message for a file that holds only `held` bytes of values.
template <class Msg>
std::vector<uint8_t> read_values(IdxStream& in, const std::string& path, uint64_t keep,
                                 uint64_t total, Msg truncated) {
  std::vector<uint8_t> values;
  // Grown as bytes arrive (never sized by the header alone), at most 16 MiB at a time.
  constexpr uint64_t kChunk = uint64_t{1} << 24;
  // Reserving costs address space only: pages are touched as the bytes arrive, and the vector
  // never reallocates (which would briefly hold two copies of the pixels).
  values.reserve(std::min(keep, in.max_size()));
  uint64_t held = 0;
  while (held < keep) {
    const uint64_t want = std::min(kChunk, keep - held);
    values.resize(held + want);
    const size_t got = in.read(values.data() + held, want);
    held += got;
    if (got < want) throw DataError(truncated(held));
  }
  std::vector<uint8_t> scratch(std::min(kChunk, total - keep + 1));
  while (held < total) {
    const uint64_t want = std::min<uint64_t>(scratch.size(), total - held);
    const size_t got = in.read(scratch.data(), want);
    held += got;
    if (got < want) throw DataError(truncated(held));
  }
  uint8_t extra;
  if (in.read(&extra, 1) != 0)
    throw DataError(path + ": the file holds more bytes than its header says (" +
                    std::to_string(total) + " bytes of values, then more)");
  return values;
}

}  // namespace

ImageSet read_idx(const std::string& images_path, const std::string& labels_path, int64_t limit) {
  ImageSet set;
  set.source = images_path;
  set.channels = 1;

  uint64_t n = 0, keep_n = 0;
  {  // (a block, so that the compressed images are freed before the labels are read)
    IdxStream images(images_path);
    const IdxHeader ih = read_header(images, images_path, kImageMagic, "image");
    n = ih.dims[0];
    const uint64_t h = ih.dims[1], w = ih.dims[2];
    const auto shape_text = [&] {
      return std::to_string(n) + " images of " + std::to_string(h) + "x" + std::to_string(w);
    };
    if (ih.values > kMaxValues)
      throw DataError(images_path + ": header says " + shape_text() + ", more than the limit of " +
                      std::to_string(kMaxValues) + " pixels");
    if (n == 0 || h == 0 || w == 0)
      throw DataError(images_path + ": header says " + shape_text() + ": there are no pixels");
    keep_n = limit > 0 ? std::min<uint64_t>(n, static_cast<uint64_t>(limit)) : n;
    set.height = static_cast<int64_t>(h);
    set.width = static_cast<int64_t>(w);
    set.pixels = read_values(images, images_path, keep_n * h * w, n * h * w, [&](uint64_t held) {
      return images_path + ": truncated: header says " + shape_text() + ", file holds " +
             std::to_string(held) + " bytes of pixels";
    });
  }

  IdxStream labels(labels_path);
  const IdxHeader lh = read_header(labels, labels_path, kLabelMagic, "label");
  const uint64_t nl = lh.dims[0];
  if (nl != n)
    throw DataError(images_path + ": " + std::to_string(n) + " images but " + labels_path + ": " +
                    std::to_string(nl) + " labels");
  const std::vector<uint8_t> label_bytes =
      read_values(labels, labels_path, keep_n, nl, [&](uint64_t held) {
        return labels_path + ": truncated: header says " + std::to_string(nl) +
               " labels, file holds " + std::to_string(held) + " bytes of labels";
      });
  set.labels.assign(label_bytes.begin(), label_bytes.end());
  return set;
}

}  // namespace redes
