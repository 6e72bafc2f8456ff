// A trained network and everything needed to use it: the graph and its weights, the task and
// the kind of data it was trained on, and the preprocessing of that data (a table's one-hot and
// standardisation, an image's normalisation, a series' transform, a word model's vocabulary).
//
//   redes::Model m = redes::Model::load("runs/lenet5-fashion/model.redes");
//   redes::Tensor p = m.predict(pixels);      // pixels (N, 1, 28, 28) uint8 -> (N, 10)
//   m.classes()[argmax(p row)]                // "Sneaker"
//
// or built and trained in code, with the layers and attributes of a config's [[layers]]:
//
//   auto m = redes::Model::build(redes::Task::binary, redes::Shape{2},
//                                {redes::layer("linear", {{"units", 16}}), redes::layer("relu"),
//                                 redes::layer("linear", {{"units", 1}})});
//   m.fit(x, y, options, [](const redes::EpochLog& e) { ... });   // x (N, 2), y (N, 1)
//   m.save("model.redes");
//
// Errors are exceptions derived from redes::Error (redes/error.hpp) with the same one-line
// messages the command-line tool prints. Predicting from several threads at once on one Model is
// safe and gives the same results as serial calls: each call runs on a replica of the graph of
// its own (made once, on first need, and reused).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redes/graph.hpp"
#include "redes/loss.hpp"
#include "redes/optim.hpp"
#include "redes/table.hpp"
#include "redes/task.hpp"
#include "redes/train.hpp"

namespace redes {

namespace detail {
// Graphs with the model's weights, free for one predict call each.
struct GraphPool {
  std::mutex mutex;
  const Graph* source = nullptr;  // the graph the replicas copy
  std::vector<std::unique_ptr<Graph>> free;
};
}  // namespace detail

// A layer as a config's [[layers]] entry writes it: layer("conv2d", {{"filters", 6},
// {"kernel", 5}}). The attributes are checked when the model is built.
LayerSpec layer(std::string kind, nlohmann::json attrs = nlohmann::json::object(),
                std::string name = "", std::vector<std::string> inputs = {});

// How Model::fit trains: the [loss], [optimizer], [schedule] and [train] tables of a config.
struct FitOptions {
  LossSpec loss;  // kind "" : the task's default loss
  OptimizerSpec optimizer;
  ScheduleSpec schedule;
  TrainSpec train;  // epochs, batch_size, shuffle, clip_grad_norm, early_stopping
  uint64_t seed = 1;
  FitOptions() { loss.kind.clear(); }
};

// Forecasts after the last row of a series (Model::forecast).
struct Forecast {
  std::string time_column;         // the model's time column, or "step"
  std::string value_column;        // the column forecast
  std::vector<std::string> times;  // the time of each forecast value
  std::vector<double> values;      // in the series' units
  std::string csv() const;         // "<time>,<value>" rows, as `redes forecast` writes them
};

// A baseline a run fitted beside its network (summary.json "baselines"; src/train/baselines.hpp
// fits them), kept in the model file so that `redes eval --baselines` scores it on new data: an
// affine map from the network's input x (flattened: F values) to its K outputs, logits or values,
// outputs = weight x + bias. The majority class and the mean are constants (no weight).
struct Baseline {
  std::string name;           // "majority", "logistic_regression", "mean", "linear_regression"
  std::vector<float> weight;  // (K, F), row by row; empty: zero
  std::vector<float> bias;    // (K)
  // {"bias": [...], "weight": [...]}: what meta "baselines" holds under the baseline's name.
  nlohmann::json to_json() const;
};

class Model {
 public:
  // The parts, for the library's own pipeline; use the functions below.
  std::unique_ptr<Graph> graph;
  Preprocessor prep;  // tables; empty (no columns) for the other kinds
  // task, kind, loss, name, and data: what reading new data needs for images, series and text
  nlohmann::json meta = nlohmann::json::object();

  Model() = default;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  // A new network of the given layers on samples of the given shape, its weights drawn from
  // seed. Throws ConfigError naming the layer for a bad attribute or a shape that does not fit,
  // or when the last layer's output does not fit the task (classes: the number of classes of a
  // multiclass task; 0 for the others).
  static Model build(Task task, Shape input, std::vector<LayerSpec> layers, uint64_t seed = 1,
                     int64_t classes = 0);
  // Throws ModelFileError "<path>: <problem>" for a missing, truncated or corrupted file.
  static Model load(const std::string& path);
  // Atomically (a temporary file, then rename).
  void save(const std::string& path) const;

  Task task() const;
  DataKind kind() const;
  // The per-sample shape predict() takes and the one it returns.
  Shape input_shape() const;
  Shape output_shape() const;
  // Class names (classifiers; the tokens of a word model); empty when there are none.
  std::vector<std::string> classes() const;
  // One line per layer (name, kind, output shape, parameters) and the total.
  std::string summary() const;

  // x is (N, input_shape...) with N >= 0:
  //  - table: the network's inputs, one-hot and standardised (predict_table does that from a
  //    CSV or JSON file);
  //  - images: pixels scaled to [0, 1] (float), or 0..255 (the uint8 overload); the model's
  //    normalisation is applied;
  //  - series: the last input_shape()[0] rows of the series in its own units, the value column
  //    first, then the feature columns;
  //  - text: token ids (see classes()).
  // Returns (N, output_shape...): class probabilities for classifiers (binary: (N, 1), the
  // probability of class 1; softmax over the last dimension otherwise), values for regression
  // and forecasts (in the target's units). Throws ShapeError naming the shape expected.
  Tensor predict(TensorView<const float> x) const;
  Tensor predict(TensorView<const uint8_t> x) const;
  // Applies the stored preprocessing to a CSV or JSON table (as `redes predict --input`) and
  // predicts every row; rows with a missing value (under the "drop" policy) are left out: rows,
  // when given, receives the table row (0-based) of each prediction.
  Tensor predict_table(const std::string& path, std::vector<int64_t>* rows = nullptr) const;
  // Images: the network's input at channel c is pixel * scale[c] + shift[c], pixels in [0, 1].
  void image_normalisation(std::vector<float>& scale, std::vector<float>& shift) const;
  // The network's raw outputs (logits) for inputs it takes directly, (N, graph input...).
  Tensor outputs(TensorView<const float> network_inputs) const;

  // Loss and metrics over samples the network takes directly (targets as Dataset gives them).
  Metrics evaluate(const Dataset& data) const;
  // The loss it was trained with, as evaluate computes it (the kind; class weights and the
  // Huber delta are not stored).
  LossSpec loss() const;
  // The baselines its run fitted (meta "baselines"), in name order; none for a run with
  // [train] baselines = false, a forecaster or word model (theirs are in summary.json), a model
  // built in code or imported, or a file older than them. Throws Error for a malformed entry.
  std::vector<Baseline> baselines() const;

  // Forecasters: `steps` values after the last row of the series in data_path (CSV or JSON
  // with the columns the model was trained on), fed back as history K at a time.
  Forecast forecast(const std::string& data_path, int64_t steps) const;
  // Word models: `count` new words, drawn at the temperature (0: the most likely character).
  std::vector<std::string> sample(int64_t count, double temperature, uint64_t seed) const;

  // Trains the network on in-memory tensors: x (N, input...) as predict takes it for tables
  // (network inputs), y (N, 1) for binary (0 or 1) and regression, (N) class indices for
  // multiclass. val_x / val_y (may be empty views) are evaluated after each epoch (needed for
  // early stopping). on_epoch is called after every epoch. Returns one log per epoch.
  std::vector<EpochLog> fit(TensorView<const float> x, TensorView<const float> y,
                            const FitOptions& options,
                            const std::function<void(const EpochLog&)>& on_epoch = {},
                            TensorView<const float> val_x = {}, TensorView<const float> val_y = {});

 private:
  // Runs f on a graph of its own (a replica from the pool), in evaluation mode.
  template <class F>
  auto with_graph(F&& f) const;
  std::unique_ptr<Graph> acquire() const;
  void release(std::unique_ptr<Graph> g) const;
  std::shared_ptr<detail::GraphPool> pool_ = std::make_shared<detail::GraphPool>();
};

}  // namespace redes
