// Checks on the XHTML pages redes writes (report.html, compare.html), for tests without an XML
// parser.
#pragma once
#include <string>
#include <vector>

namespace redes::test {

// Whether every element of an XHTML page is closed in order ("" when it is, else what is wrong):
// the page's text and attributes are escaped, so every '<' opens a tag.
inline std::string unbalanced_tags(const std::string& page) {
  std::vector<std::string> open;
  for (size_t at = page.find('<'); at != std::string::npos; at = page.find('<', at + 1)) {
    const size_t end = page.find('>', at);
    if (end == std::string::npos) return "a tag is not closed at byte " + std::to_string(at);
    const std::string tag = page.substr(at + 1, end - at - 1);
    if (tag.empty()) return "an empty tag at byte " + std::to_string(at);
    if (tag[0] == '!' || tag[0] == '?') continue;  // <!DOCTYPE html>
    const std::string name =
        tag.substr(tag[0] == '/', tag.find_first_of(" \n/", 1) - (tag[0] == '/'));
    if (tag[0] == '/') {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes <" + (open.empty() ? "" : open.back()) + ">";
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

}  // namespace redes::test
