// [data] with kind = "text": a word list for a character-level language model.
#include "io/config_section.hpp"

namespace redes::config_detail {

TextSpec parse_data_text(Section& s) {
  TextSpec d;
  d.path = resolve_path(s, "path", true);
  s.read("lowercase", d.lowercase);
  s.read("apostrophes", d.apostrophes);
  if (auto n = s.integer("min_length", 1, 1000)) d.min_length = *n;
  const toml::node* max = s.find("max_length");
  if (auto n = s.integer("max_length", 1, 1000)) d.max_length = *n;
  if (d.max_length < d.min_length)
    s.fail(max ? *max : *s.find("min_length"), "'max_length' must be at least 'min_length'");
  s.read("fraction", d.fraction, 0, true, 1, false);
  s.read("test_fraction", d.test_fraction, 0, false, 1, true);
  s.read("validation_fraction", d.validation_fraction, 0, false, 1, true);
  if (d.test_fraction + d.validation_fraction >= 1) {
    const toml::node* v = s.find("validation_fraction");
    s.fail(v ? *v : *s.find("test_fraction"),
           "test_fraction + validation_fraction must be less than 1, leaving words to train on");
  }
  return d;
}

}  // namespace redes::config_detail
