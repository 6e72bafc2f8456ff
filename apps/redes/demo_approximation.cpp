// redes demo approximation: the lecture's claim that two layers can approximate any continuous
// function, K being the number of neurons. Networks x -> K tanh units -> 1 output, for K = 1,
// 2, 4, 8, 32, learn f(x) = sin(3x) + x/2 on [-2, 2] by least squares; the mean squared error
// of each fit is printed, and DIR/approximation.html plots the target and the fits.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"
#include "redes/files.hpp"
#include "redes/model.hpp"
#include "redes/report.hpp"

namespace redes::cli {

namespace {

double target(double x) { return std::sin(3 * x) + x / 2; }

// n points evenly spaced over [-2, 2], as an (n, 1) tensor, and f at them.
void sample(int64_t n, Tensor& x, Tensor& y) {
  x = Tensor(Shape{n, 1});
  y = Tensor(Shape{n, 1});
  for (int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(-2.0 + 4.0 * i / (n - 1));
    y[i] = static_cast<float>(target(x[i]));
  }
}

double mse(const Tensor& a, const Tensor& b) {
  double s = 0;
  for (int64_t i = 0; i < a.numel(); ++i) s += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  return s / a.numel();
}

}  // namespace

int demo_approximation(const std::string& out, uint64_t seed, int restarts) {
  Tensor train_x, train_y, grid_x, grid_y;
  sample(200, train_x, train_y);  // what the networks learn from
  sample(401, grid_x, grid_y);    // where their error is measured and drawn
  FitOptions options;
  options.loss.kind = "mse";
  options.optimizer.lr = 0.01;  // Adam
  options.schedule.kind = "cosine";
  options.train.epochs = 1500;
  options.train.batch_size = 32;

  std::printf(
      "Networks with one hidden layer of K tanh units learn f(x) = sin(3x) + x/2 on [-2, 2]\n"
      "from 200 points (%d starts from different random weights each, the best kept).\n\n"
      "   K  parameters  mean squared error\n",
      restarts);
  std::vector<ApproximationFit> fits;
  for (int64_t k : {1, 2, 4, 8, 32}) {
    ApproximationFit best;
    best.mse = INFINITY;
    for (int r = 0; r < restarts; ++r) {
      Model m = Model::build(
          Task::regression, Shape{1},
          {layer("linear", {{"units", k}}), layer("tanh"), layer("linear", {{"units", 1}})},
          seed + 1000 * r);
      m.fit(train_x.view(), train_y.view(), options);
      const double train_mse = mse(m.predict(train_x.view()), train_y);
      if (train_mse >= best.mse) continue;
      const Tensor fit = m.predict(grid_x.view());
      best.units = k;
      best.parameters = m.graph->num_params();
      best.mse = train_mse;
      best.y.assign(fit.data(), fit.data() + fit.numel());
    }
    // Reported on the dense grid: the error of the function learned, between the points too.
    Tensor fit(Shape{grid_x.dim(0), 1}, std::vector<float>(best.y.begin(), best.y.end()));
    best.mse = mse(fit, grid_y);
    std::printf("  %2ld  %10ld  %.6f\n", static_cast<long>(k), static_cast<long>(best.parameters),
                best.mse);
    std::fflush(stdout);
    fits.push_back(std::move(best));
  }
  std::vector<double> x(grid_x.data(), grid_x.data() + grid_x.numel()),
      y(grid_y.data(), grid_y.data() + grid_y.numel());
  std::filesystem::create_directories(out);
  const std::string page = (std::filesystem::path(out) / "approximation.html").string();
  write_file_atomic(page, approximation_html("sin(3x) + x/2", x, y, fits));
  std::printf(
      "\nThe error falls as K grows: more neurons, more bends the sum of their curves "
      "can make.\nThe target and the fits: %s\n",
      page.c_str());
  return 0;
}

}  // namespace redes::cli
