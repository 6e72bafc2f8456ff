// The SVG writer (svg.hpp). Charts share one frame: a plot area inside margins for the title,
// the legend (in rows under the title, where it hides no data), the tick labels and the axis
// labels.
#include "report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace redes::svg {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string text_at(double x, double y, const std::string& s, const char* anchor = "middle",
                    int size = 12, const std::string& extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + std::to_string(size) +
         "\" text-anchor=\"" + anchor + "\"" + extra + ">" + escape(s) + "</text>";
}

std::string open_svg(int w, int h, const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
         std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
         "\" font-family=\"sans-serif\" role=\"img\"><title>" + escape(title) + "</title>";
}

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  void add(double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
  void widen() {  // a flat range still gets an axis
    if (empty()) lo = 0, hi = 1;
    if (lo == hi) lo -= std::max(1.0, std::abs(lo)) * 0.5, hi += std::max(1.0, std::abs(hi)) * 0.5;
  }
};

}  // namespace

std::string escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int count, double min_step) {
  if (!(hi > lo)) return {lo};
  const double raw = std::max((hi - lo) / std::max(1, count), min_step);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  const double first = std::ceil(lo / step - 1e-9);
  for (int i = 0;; ++i) {  // multiples of step, not a running sum: no drift
    const double t = (first + i) * step;
    if (t > hi + step * 1e-9) break;
    ticks.push_back(t);
  }
  return ticks;
}

std::string tick_label(double v, double step) {
  const int digits =
      step > 0 ? std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9))) : 2;
  char buf[32];
  if (std::abs(v) >= 1e5 || (v != 0 && std::abs(v) < 1e-4))
    std::snprintf(buf, sizeof buf, "%.2g", v);
  else
    std::snprintf(buf, sizeof buf, "%.*f", std::min(digits, 6), v);
  return buf;
}

const std::string& colour(size_t i) {
  // Okabe and Ito's palette, which stays distinct for the common colour-vision deficiencies.
  static const std::vector<std::string> p = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                             "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  return p[i % p.size()];
}

std::string line_chart(const LineChart& c) {
  const double left = 64, right = 16, bottom = 46;
  const double pw = c.width - left - right;
  // The legend's entries flow in rows under the title; the plot starts below them.
  std::vector<std::pair<double, int>> entry;  // x offset and row of each line's entry
  {
    double x = 0;
    int row = 0;
    for (const auto& l : c.lines) {
      const double w = 40 + 6.5 * l.name.size();
      if (x > 0 && x + w > pw) x = 0, ++row;
      entry.emplace_back(x, row);
      x += w;
    }
  }
  const int legend_rows = entry.empty() ? 0 : entry.back().second + 1;
  const double top = 34 + 16.0 * legend_rows;
  const int height = c.height + 16 * legend_rows;
  const double ph = height - top - bottom;
  Range xr, yr;
  for (const auto& l : c.lines)
    for (size_t i = 0; i < l.x.size() && i < l.y.size(); ++i) {
      if (c.log_y && !(l.y[i] > 0)) continue;
      xr.add(l.x[i]);
      yr.add(c.log_y ? std::log10(l.y[i]) : l.y[i]);
    }
  xr.widen();
  if (c.y_from_zero && !c.log_y) yr.add(0);
  yr.widen();
  if (!c.log_y) {  // a little room above and below the data
    const double pad = (yr.hi - yr.lo) * 0.05;
    yr.hi += pad;
    if (!(c.y_from_zero && yr.lo == 0)) yr.lo -= pad;
  }
  const auto px = [&](double x) { return left + (x - xr.lo) / (xr.hi - xr.lo) * pw; };
  const auto py = [&](double y) { return top + ph - (y - yr.lo) / (yr.hi - yr.lo) * ph; };

  std::string s = open_svg(c.width, height, c.title);
  s += text_at(c.width / 2.0, 18, c.title, "middle", 14, " font-weight=\"bold\"");
  // Grid, ticks and labels: the grid lines and each axis's tick marks are one path each.
  const auto yt = nice_ticks(yr.lo, yr.hi, 5);
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  std::string grid, yticks, xticks;
  for (double t : yt) {
    const double y = py(t);
    grid += "M" + num(left) + " " + num(y) + " H" + num(left + pw) + " ";
    yticks += "M" + num(left - 4) + " " + num(y) + " H" + num(left) + " ";
    s += text_at(
        left - 6, y + 4,
        c.log_y ? tick_label(std::pow(10.0, t), std::pow(10.0, t) / 10) : tick_label(t, ystep),
        "end", 11);
  }
  std::vector<double> xt;
  if (!c.x_tick_text.empty()) {
    const size_t n = c.x_tick_text.size(), every = std::max<size_t>(1, (n + 5) / 6);
    for (size_t i = 0; i < n; i += every) xt.push_back(static_cast<double>(i));
  } else {
    xt = nice_ticks(xr.lo, xr.hi, 6, c.integer_x ? 1 : 0);
  }
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (double t : xt) {
    const double x = px(t);
    xticks += "M" + num(x) + " " + num(top + ph) + " V" + num(top + ph + 5) + " ";
    const std::string label = c.x_tick_text.empty()
                                  ? tick_label(t, xstep)
                                  : c.x_tick_text[static_cast<size_t>(std::lround(t))];
    s += text_at(x, top + ph + 18, label, "middle", 11);
  }
  s += "<path d=\"" + grid + "\" stroke=\"#e5e5e5\"/>";
  s += "<path d=\"" + yticks + xticks + "\" stroke=\"#333\"/>";
  s += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(pw) + "\" height=\"" +
       num(ph) + "\" fill=\"none\" stroke=\"#333\"/>";
  s += text_at(left + pw / 2, height - 8, c.x_label);
  s += text_at(16, top + ph / 2, c.y_label + (c.log_y ? " (log scale)" : ""), "middle", 12,
               " transform=\"rotate(-90 16 " + num(top + ph / 2) + ")\"");
  // The lines: a path each, broken where y is not finite.
  for (size_t k = 0; k < c.lines.size(); ++k) {
    const Line& l = c.lines[k];
    const std::string& col = l.color.empty() ? colour(k) : l.color;
    std::string d;
    bool pen = false;
    for (size_t i = 0; i < l.x.size() && i < l.y.size(); ++i) {
      const bool ok = std::isfinite(l.y[i]) && (!c.log_y || l.y[i] > 0);
      if (!ok) {
        pen = false;
        continue;
      }
      const double y = c.log_y ? std::log10(l.y[i]) : l.y[i];
      d += (pen ? " L" : " M") + num(px(l.x[i])) + " " + num(py(y));
      pen = true;
    }
    if (!d.empty())
      s += "<path d=\"" + d.substr(1) + "\" fill=\"none\" stroke=\"" + col +
           "\" stroke-width=\"1.8\"" + (l.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>";
    if (l.points)
      for (size_t i = 0; i < l.x.size() && i < l.y.size(); ++i)
        if (std::isfinite(l.y[i]) && (!c.log_y || l.y[i] > 0))
          s += "<circle cx=\"" + num(px(l.x[i])) + "\" cy=\"" +
               num(py(c.log_y ? std::log10(l.y[i]) : l.y[i])) + "\" r=\"2.5\" fill=\"" + col +
               "\"/>";
  }
  // The legend: a sample of each line and its name.
  for (size_t k = 0; k < c.lines.size(); ++k) {
    const Line& l = c.lines[k];
    const double lx = left + entry[k].first, y = 32 + 16.0 * entry[k].second;
    s += "<path d=\"M" + num(lx) + " " + num(y) + " H" + num(lx + 24) + "\" stroke=\"" +
         (l.color.empty() ? colour(k) : l.color) + "\" stroke-width=\"2\"" +
         (l.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>";
    s += text_at(lx + 30, y + 4, l.name, "start", 11);
  }
  return s + "</svg>";
}

std::string bar_chart(const BarChart& c) {
  const double left = 64, right = 16, top = 34, bottom = 52;
  const double pw = c.width - left - right, ph = c.height - top - bottom;
  Range yr;
  yr.add(0);
  for (const auto& b : c.bars) yr.add(b.value);
  yr.widen();
  yr.hi += (yr.hi - yr.lo) * 0.1;  // room for the value labels
  const auto py = [&](double y) { return top + ph - (y - yr.lo) / (yr.hi - yr.lo) * ph; };
  std::string s = open_svg(c.width, c.height, c.title);
  s += text_at(c.width / 2.0, 18, c.title, "middle", 14, " font-weight=\"bold\"");
  const auto yt = nice_ticks(yr.lo, yr.hi, 5);
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double t : yt) {
    s += "<line x1=\"" + num(left) + "\" y1=\"" + num(py(t)) + "\" x2=\"" + num(left + pw) +
         "\" y2=\"" + num(py(t)) + "\" stroke=\"#e5e5e5\"/>";
    s += text_at(left - 6, py(t) + 4, tick_label(t, ystep), "end", 11);
  }
  const double slot = pw / std::max<size_t>(1, c.bars.size()), bw = slot * 0.6;
  for (size_t i = 0; i < c.bars.size(); ++i) {
    const Bar& b = c.bars[i];
    const double x = left + slot * i + (slot - bw) / 2, y0 = py(0), y1 = py(b.value);
    s += "<rect x=\"" + num(x) + "\" y=\"" + num(std::min(y0, y1)) + "\" width=\"" + num(bw) +
         "\" height=\"" + num(std::abs(y0 - y1)) + "\" fill=\"" +
         (b.color.empty() ? colour(0) : b.color) + "\"/>";
    char v[32];
    std::snprintf(v, sizeof v, "%.4g", b.value);
    s += text_at(x + bw / 2, std::min(y0, y1) - 4, v, "middle", 11);
    s += text_at(x + bw / 2, top + ph + 16, b.label, "middle", 11);
  }
  s += "<line x1=\"" + num(left) + "\" y1=\"" + num(py(0)) + "\" x2=\"" + num(left + pw) +
       "\" y2=\"" + num(py(0)) + "\" stroke=\"#333\"/>";
  s += text_at(16, top + ph / 2, c.y_label, "middle", 12,
               " transform=\"rotate(-90 16 " + num(top + ph / 2) + ")\"");
  return s + "</svg>";
}

std::string heat_map(const HeatMap& m) {
  const size_t R = m.rows.size(), C = m.columns.size();
  size_t longest = 0;
  for (const auto& r : m.rows) longest = std::max(longest, r.size());
  const double left = 30 + 7.0 * longest, top = 64, cell = m.cell;
  const int w = static_cast<int>(std::max(left + cell * C + 20, 8.0 * m.title.size() + 20)),
            h = static_cast<int>(top + cell * R + 20);
  double hi = 0;
  for (const auto& row : m.values)
    for (double v : row) hi = std::max(hi, v);
  std::string s = open_svg(w, h, m.title);
  s += text_at(w / 2.0, 18, m.title, "middle", 14, " font-weight=\"bold\"");
  s += text_at(left + cell * C / 2, 36, m.column_title, "middle", 12);
  s += text_at(12, top + cell * R / 2, m.row_title, "middle", 12,
               " transform=\"rotate(-90 12 " + num(top + cell * R / 2) + ")\"");
  for (size_t j = 0; j < C; ++j) {
    // Column labels, shortened to fit over their cell.
    std::string label = m.columns[j];
    const size_t fit = std::max<size_t>(2, static_cast<size_t>(cell / 6.5));
    if (label.size() > fit) label = label.substr(0, fit - 1) + ".";
    s += text_at(left + cell * (j + 0.5), top - 6, label, "middle", 10);
  }
  for (size_t i = 0; i < R; ++i) {
    s += text_at(left - 6, top + cell * (i + 0.5) + 4, m.rows[i], "end", 11);
    for (size_t j = 0; j < C; ++j) {
      const double v = i < m.values.size() && j < m.values[i].size() ? m.values[i][j] : 0;
      const double t = hi > 0 ? v / hi : 0;  // 0 white .. 1 dark blue
      char fill[16];
      std::snprintf(fill, sizeof fill, "#%02x%02x%02x", static_cast<int>(255 - 247 * t),
                    static_cast<int>(255 - 178 * t), static_cast<int>(255 - 107 * t));
      s += "<rect x=\"" + num(left + cell * j) + "\" y=\"" + num(top + cell * i) + "\" width=\"" +
           num(cell) + "\" height=\"" + num(cell) + "\" fill=\"" + fill +
           "\" stroke=\"#fff\"><title>" + escape(m.rows[i] + " as " + m.columns[j]) + ": " +
           std::to_string(static_cast<int64_t>(v)) + "</title></rect>";
      if (cell >= 18)
        s += text_at(left + cell * (j + 0.5), top + cell * (i + 0.5) + 4,
                     std::to_string(static_cast<int64_t>(v)), "middle", cell >= 30 ? 11 : 9,
                     t > 0.5 ? " fill=\"white\"" : "");
    }
  }
  return s + "</svg>";
}

}  // namespace redes::svg
