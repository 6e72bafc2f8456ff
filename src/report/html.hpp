// What the HTML pages of src/report (report.html, compare.html) share: the style sheet, sections,
// tables and number formatting. Internal: the pages are XHTML, so everything here is escaped.
#pragma once
#include <string>
#include <vector>

namespace redes::html {

// The pages' CSS, for their <style> element.
extern const char* const kStyle;

// v with `digits` significant digits (%g).
std::string fixed(double v, int digits = 4);

// A whole page: the title (escaped) as <title> and <h1>, a note under it (text, escaped; the
// version of redes that wrote the page is added), then body (markup).
std::string page(const std::string& title, const std::string& note, const std::string& body);

// <section> with an <h2> title; body is markup.
std::string section(const std::string& title, const std::string& body);

// A table of rows of cells (text, escaped), the first row its header; with numeric_right, the
// cells of every column but the first are right-aligned.
std::string table(const std::vector<std::vector<std::string>>& rows, bool numeric_right = true);
// The same with cells that are markup already (a link, say): the caller escapes their text.
std::string table_markup(const std::vector<std::vector<std::string>>& rows,
                         bool numeric_right = true);

// <a href="...">text</a>: href a relative path (its characters outside a URL's unreserved ones
// percent-encoded, '/' kept), text escaped.
std::string link(const std::string& path, const std::string& text);

}  // namespace redes::html
