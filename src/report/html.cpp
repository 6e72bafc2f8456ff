// The shared pieces of the report pages (html.hpp).
#include "report/html.hpp"

#include <cstdio>

#include "redes/version.hpp"
#include "report/svg.hpp"

namespace redes::html {

using svg::escape;

std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string page(const std::string& title, const std::string& note, const std::string& body) {
  return "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>"
         "<meta charset=\"utf-8\"/><title>" +
         escape(title) + "</title><style>" + kStyle + "</style></head>\n<body>\n<h1>" +
         escape(title) + "</h1>\n<p class=\"note\">" + escape(note) + "; written by redes " +
         kVersion + ".</p>\n" + body + "</body>\n</html>\n";
}

std::string section(const std::string& title, const std::string& body) {
  return "<section><h2>" + escape(title) + "</h2>\n" + body + "\n</section>\n";
}

std::string table(const std::vector<std::vector<std::string>>& rows, bool numeric_right) {
  std::vector<std::vector<std::string>> escaped = rows;
  for (auto& row : escaped)
    for (auto& cell : row) cell = escape(cell);
  return table_markup(escaped, numeric_right);
}

std::string table_markup(const std::vector<std::vector<std::string>>& rows, bool numeric_right) {
  std::string s = "<table>";
  for (size_t r = 0; r < rows.size(); ++r) {
    s += "<tr>";
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const char* tag = r == 0 ? "th" : "td";
      const bool right = numeric_right && r > 0 && c > 0;
      s += std::string("<") + tag + (right ? " class=\"num\"" : "") + ">" + rows[r][c] + "</" +
           tag + ">";
    }
    s += "</tr>";
  }
  return s + "</table>";
}

std::string link(const std::string& path, const std::string& text) {
  // A folder called "a b#1" must not end the path at '#' or break it at the space.
  std::string href;
  for (const unsigned char c : path) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      href += char(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      href += buf;
    }
  }
  return "<a href=\"" + escape(href) + "\">" + escape(text) + "</a>";
}

const char* const kStyle = R"(
body { font-family: sans-serif; margin: 24px auto; max-width: 1000px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 16px 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.nowrap td, .nowrap th { white-space: nowrap; }
.row { display: flex; flex-wrap: wrap; align-items: flex-start; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 4px; } figcaption { font-size: 12px; max-width: 320px; }
img { image-rendering: pixelated; }
pre { background: #f6f6f6; padding: 8px; font-size: 12px; overflow-x: auto; }
.note { color: #666; font-size: 13px; }
svg { margin: 8px 8px 8px 0; }
)";

}  // namespace redes::html
