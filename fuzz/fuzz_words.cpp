// Word lists for language models: read_words, then the vocabulary and the encoding of the words
// kept. The first byte of the input sets the filter (bit 0: lowercase, bit 1: apostrophes); the
// rest is the file.
#include <cstdint>

#include "fuzz_util.hpp"
#include "redes/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static redes::fuzz::MemFile file;
  if (size < 1) return 0;
  file.write(data + 1, size - 1);
  redes::TextSpec spec;
  spec.path = file.path();
  spec.lowercase = data[0] & 1;
  spec.apostrophes = data[0] & 2;
  redes::fuzz::expect_clean(file.path(), [&] {
    const redes::WordList list = redes::read_words(spec);
    const redes::Vocabulary vocab(list.words);
    redes::Tensor x, y;
    redes::encode_words(vocab, list.words, spec.max_length, x, y);
  });
  return 0;
}
