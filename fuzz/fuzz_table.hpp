// What the encoder does with each cell of a parsed table (fuzz_csv, fuzz_json): reads it as a
// number (or an ISO date's year, or says why it is neither) and names it as a category.
#pragma once
#include "data/table_detail.hpp"
#include "fuzz_util.hpp"

namespace redes::fuzz {

inline void read_cells(const Table& t) {
  for (size_t r = 0; r < t.rows.size(); ++r)
    for (size_t c = 0; c < t.columns.size(); ++c) {
      expect_clean(t.source, [&] { table_detail::numeric_cell(t, r, c); });
      table_detail::cell_key(t.rows[r][c]);
    }
}

}  // namespace redes::fuzz
