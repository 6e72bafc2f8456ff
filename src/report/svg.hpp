// A small SVG writer for the run reports: line charts with axes, ticks, labels and a legend, bar
// charts, and heat maps. Each returns one <svg> element as text, well-formed XML, sized in
// pixels, with no script and nothing loaded from elsewhere.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace redes::svg {

// Text escaped for XML content and attribute values (& < > " ').
std::string escape(const std::string& s);

// Round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart, at least min_step),
// about `count`.
std::vector<double> nice_ticks(double lo, double hi, int count = 5, double min_step = 0);
// A number as a tick label: as few digits as the step between ticks needs.
std::string tick_label(double v, double step);

struct Line {
  explicit Line(std::string name_ = "", std::string color_ = "", bool dashed_ = false)
      : name(std::move(name_)), color(std::move(color_)), dashed(dashed_) {}
  std::string name;          // in the legend
  std::vector<double> x, y;  // the same length; NaN y values break the line
  std::string color;         // empty: the next colour of the palette
  bool dashed = false;
  bool points = false;  // a dot at every point as well
};

struct LineChart {
  LineChart(std::string title_, std::string x_label_, std::string y_label_,
            std::vector<Line> lines_ = {})
      : title(std::move(title_)),
        x_label(std::move(x_label_)),
        y_label(std::move(y_label_)),
        lines(std::move(lines_)) {}
  std::string title, x_label, y_label;
  std::vector<Line> lines;
  bool log_y = false;  // a logarithmic y axis (values must be positive)
  bool y_from_zero = false;
  std::vector<std::string> x_tick_text;  // labels at x = 0, 1, ... instead of numbers (dates)
  bool integer_x = false;                // x ticks at whole numbers only (epochs, steps)
  int width = 640, height = 320;
};
std::string line_chart(const LineChart& chart);

struct Bar {
  std::string label;
  double value = 0;
  std::string color;  // empty: the palette's first colour
};
struct BarChart {
  BarChart(std::string title_, std::string y_label_)
      : title(std::move(title_)), y_label(std::move(y_label_)) {}
  std::string title, y_label;
  std::vector<Bar> bars;
  int width = 480, height = 280;
};
std::string bar_chart(const BarChart& chart);

// A heat map of counts (rows x columns), e.g. a confusion matrix: darker is more, each cell
// labelled with its count; row and column labels on the left and on top.
struct HeatMap {
  HeatMap(std::string title_, std::string row_title_, std::string column_title_)
      : title(std::move(title_)),
        row_title(std::move(row_title_)),
        column_title(std::move(column_title_)) {}
  std::string title, row_title, column_title;
  std::vector<std::string> rows, columns;
  std::vector<std::vector<double>> values;  // values[row][column]
  int cell = 36;                            // pixels per cell (smaller for many classes)
};
std::string heat_map(const HeatMap& map);

// The palette colour i (colour-blind safe, cycling).
const std::string& colour(size_t i);

}  // namespace redes::svg
