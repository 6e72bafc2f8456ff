// approximation.html (report.hpp): the target function and each network's fit on one chart,
// the error against K on another, and the table of the figures.
#include <string>
#include <vector>

#include "redes/report.hpp"
#include "report/html.hpp"
#include "report/svg.hpp"

namespace redes {

std::string approximation_html(const std::string& function, const std::vector<double>& x,
                               const std::vector<double>& target,
                               const std::vector<ApproximationFit>& fits) {
  svg::LineChart chart("f(x) = " + function + " and the networks' fits", "x", "y");
  chart.width = 900;
  chart.height = 420;
  svg::Line f("target f(x)", "#000000");
  f.x = x;
  f.y = target;
  chart.lines.push_back(f);
  svg::LineChart error("Mean squared error against K", "K (hidden units)", "mean squared error");
  error.log_y = true;
  svg::Line mse("mean squared error", svg::colour(0));
  mse.points = true;
  std::vector<std::vector<std::string>> rows = {{"K", "parameters", "mean squared error"}};
  for (size_t i = 0; i < fits.size(); ++i) {
    const auto& fit = fits[i];
    svg::Line line("K = " + std::to_string(fit.units), svg::colour(i), true);
    line.x = x;
    line.y = fit.y;
    chart.lines.push_back(line);
    mse.x.push_back(static_cast<double>(i));  // evenly spaced, labelled with K
    error.x_tick_text.push_back(std::to_string(fit.units));
    mse.y.push_back(fit.mse);
    rows.push_back(
        {std::to_string(fit.units), std::to_string(fit.parameters), html::fixed(fit.mse, 4)});
  }
  error.lines.push_back(mse);
  const std::string body =
      html::section("The fits", svg::line_chart(chart) +
                                    "<p class=\"note\">Each network is x &#8594; K tanh units "
                                    "&#8594; one linear output (two layers of weights), trained "
                                    "on points of the interval by least squares.</p>") +
      html::section("The error",
                    "<div class=\"row\">" + svg::line_chart(error) + html::table(rows) + "</div>");
  return html::page("redes demo: two layers approximate a continuous function",
                    "the more neurons K, the closer the fit", body);
}

}  // namespace redes
