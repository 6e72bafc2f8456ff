// Running a Model (redes/model.hpp): predictions for every kind of data, evaluation, forecasts,
// samples, and training in code. Every prediction goes through one path:
//   inputs as the user has them --network_inputs()--> the graph --finish()--> predictions
// where network_inputs applies the kind's preprocessing and finish the task's output rule
// (outputs_to_predictions) and, for series, the decoding back into the series' units.
#include "redes/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "redes/images.hpp"
#include "redes/series.hpp"
#include "redes/text.hpp"
#include "redes/threads.hpp"
#include "train/forecast.hpp"
#include "train/words.hpp"

namespace redes {

namespace {

constexpr int64_t kBatch = 256;

const nlohmann::json& data_meta(const Model& m) {
  static const nlohmann::json none = nlohmann::json::object();
  const auto it = m.meta.find("data");
  return it != m.meta.end() && it->is_object() ? *it : none;
}

// Throws ShapeError unless x is (N, want...).
void check_batch(const Shape& x, const Shape& want, const char* dtype) {
  const bool ok = x.rank() == want.rank() + 1 && x.sample() == want;
  if (ok) return;
  std::string batch = "(N";
  for (int64_t d : want.dims()) batch += ", " + std::to_string(d);
  throw ShapeError("the model takes " + std::string(dtype) + " inputs of shape " + batch +
                   "), got " + x.str());
}

SeriesCodec codec_of(const Model& m) { return SeriesCodec::from_json(data_meta(m).at("codec")); }

}  // namespace

std::unique_ptr<Graph> Model::acquire() const {
  REDES_CHECK(graph != nullptr, Error, "the model has no network");
  {
    std::lock_guard<std::mutex> lock(pool_->mutex);
    if (pool_->source != graph.get()) {
      pool_->free.clear();
      pool_->source = graph.get();
    }
    if (!pool_->free.empty()) {
      auto g = std::move(pool_->free.back());
      pool_->free.pop_back();
      return g;
    }
  }
  // A replica: the same layers, the weights and buffers copied.
  auto g = std::make_unique<Graph>(graph->specs(), graph->input_shape());
  const auto& from = graph->state();
  const auto& to = g->state();
  for (size_t i = 0; i < from.size(); ++i)
    std::memcpy(to[i].param->value, from[i].param->value, sizeof(float) * from[i].param->numel());
  return g;
}

void Model::release(std::unique_ptr<Graph> g) const {
  std::lock_guard<std::mutex> lock(pool_->mutex);
  if (pool_->source == graph.get()) pool_->free.push_back(std::move(g));
}

template <class F>
auto Model::with_graph(F&& f) const {
  use_chosen_num_threads();
  struct Lease {
    const Model& m;
    std::unique_ptr<Graph> g;
    ~Lease() { m.release(std::move(g)); }
  } lease{*this, acquire()};
  return f(*lease.g);
}

Tensor Model::outputs(TensorView<const float> x) const {
  check_batch(x.shape(), graph->input_shape(), "float");
  return with_graph([&](Graph& g) {
    const int64_t n = x.dim(0), width = g.output_shape().numel();
    Tensor out(g.output_shape().batched(n));
    Rng unused(0);  // evaluation mode draws no random numbers
    for (int64_t lo = 0; lo < n; lo += kBatch) {
      const int64_t hi = std::min(n, lo + kBatch);
      auto o = g.forward(x.slice(lo, hi), false, unused);
      std::copy(o.begin(), o.end(), out.data() + lo * width);
    }
    return out;
  });
}

void Model::image_normalisation(std::vector<float>& scale, std::vector<float>& shift) const {
  // The stored normalisation, (x - mean) / std, per channel, on pixels in [0, 1].
  const auto& d = data_meta(*this);
  pixel_normalisation(input_shape()[0], d.value("mean", std::vector<double>{}),
                      d.value("std", std::vector<double>{}), "the model", scale, shift);
  for (float& s : scale) s *= 255.0f;
}

Tensor Model::predict(TensorView<const float> x) const {
  const Shape want = input_shape();
  check_batch(x.shape(), want, "float");
  const int64_t n = x.dim(0);
  switch (kind()) {
    case DataKind::table:
      return outputs_to_predictions(task(), outputs(x));
    case DataKind::images: {
      std::vector<float> scale, shift;
      image_normalisation(scale, shift);
      const int64_t plane = want.numel() / want[0];
      Tensor in(x.shape());
      for (int64_t i = 0; i < x.numel(); ++i) {
        const int64_t c = (i / plane) % want[0];
        in[i] = x[i] * scale[c] + shift[c];
      }
      return outputs_to_predictions(task(), outputs(in));
    }
    case DataKind::series: {
      // Each sample holds the rows before a forecast, in the series' units: encode them as the
      // training windows were, run the network, decode its outputs into values.
      const SeriesCodec codec = codec_of(*this);
      const int64_t rows = want[0], F = want[1], nf = F - 1, t = rows;
      const Shape net = graph->input_shape();
      Tensor in(net.batched(n));
      std::vector<std::vector<double>> values(n, std::vector<double>(rows));
      std::vector<double> features(rows * nf);
      for (int64_t i = 0; i < n; ++i) {
        const float* s = x.data() + i * rows * F;
        for (int64_t r = 0; r < rows; ++r) {
          values[i][r] = s[r * F];
          for (int64_t k = 0; k < nf; ++k) features[r * nf + k] = s[r * F + 1 + k];
        }
        codec.input(values[i], features, t, in.data() + i * net.numel());
      }
      const Tensor z = outputs(in);
      Tensor out(z.shape());
      const int64_t K = codec.horizon;
      std::vector<double> v(K);
      for (int64_t i = 0; i < n; ++i) {
        codec.decode(values[i], t, z.data() + i * K, v.data());
        for (int64_t k = 0; k < K; ++k) out[i * K + k] = static_cast<float>(v[k]);
      }
      return out;
    }
    case DataKind::text: {
      const int64_t vocab = static_cast<int64_t>(classes().size());
      for (int64_t i = 0; i < x.numel(); ++i)
        REDES_CHECK(x[i] == std::floor(x[i]) && x[i] >= 0 && x[i] < vocab, ShapeError,
                    "predict: token ids must be integers in 0.." + std::to_string(vocab - 1) +
                        ", found " + std::to_string(x[i]) + " at " + std::to_string(i));
      return outputs_to_predictions(task(), outputs(x));
    }
  }
  throw Error("unknown kind of data");
}

Tensor Model::predict(TensorView<const uint8_t> x) const {
  check_batch(x.shape(), input_shape(), "uint8");
  Tensor f(x.shape());
  // Images come as 0..255 pixels; other kinds take the values as they are.
  const float scale = kind() == DataKind::images ? 1.0f / 255.0f : 1.0f;
  for (int64_t i = 0; i < x.numel(); ++i) f[i] = x[i] * scale;
  return predict(f.view());
}

Tensor Model::predict_table(const std::string& path, std::vector<int64_t>* rows) const {
  REDES_CHECK(!prep.columns.empty(), Error,
              path + ": this model was not trained on a table (it is a " +
                  std::string(name(kind())) + " model): give it arrays");
  auto enc = prep.encode(read_table(path), false);
  if (rows) *rows = enc.rows;
  return predict(enc.x.view());
}

Metrics Model::evaluate(const Dataset& data) const {
  auto fn = make_loss<float>(loss());
  return with_graph([&](Graph& g) {
    Trainer trainer(g, *fn, OptimizerSpec{}, ScheduleSpec{}, TrainSpec{}, task());
    return trainer.evaluate(data);
  });
}

Forecast Model::forecast(const std::string& data_path, int64_t steps) const {
  REDES_CHECK(kind() == DataKind::series, Error,
              "this model was not trained on a series (train one with [data] kind = \"series\")");
  REDES_CHECK(steps >= 1, Error, "--steps must be at least 1");
  const auto& d = data_meta(*this);
  const SeriesCodec codec = codec_of(*this);
  Forecast f;
  f.value_column = d.at("value");
  const std::string time = d.value("time", "");
  f.time_column = time.empty() ? "step" : time;
  const auto features = d.value("features", std::vector<std::string>{});
  const Series s = read_series(data_path, "", f.value_column, time, features);
  REDES_CHECK(s.size() >= codec.warmup(), DataError,
              data_path + ": the series has " + std::to_string(s.size()) +
                  " rows but the model reads " + std::to_string(codec.warmup()) + " to forecast");
  REDES_CHECK(features.empty() || steps <= codec.horizon, Error,
              "the model reads feature columns, which are not known beyond " + data_path +
                  ": forecast at most its horizon, " + std::to_string(codec.horizon) + " steps");
  const int64_t origin = s.size();
  const auto path = with_graph([&](Graph& g) {
    return forecast_recursive(codec, s.values, s.features, std::span<const int64_t>(&origin, 1),
                              steps, graph_predictor(g));
  });
  const auto times = time.empty() ? std::vector<std::string>() : extend_times(s.times, steps);
  for (int64_t h = 0; h < steps; ++h) {
    f.times.push_back(time.empty() ? std::to_string(origin + h) : times[h]);
    f.values.push_back(path[0][h]);
  }
  return f;
}

std::string Forecast::csv() const {
  std::string s = time_column + "," + value_column + "\n";
  char buf[32];
  for (size_t h = 0; h < values.size(); ++h) {
    std::snprintf(buf, sizeof buf, "%.10g", values[h]);
    s += times[h] + "," + buf + "\n";
  }
  return s;
}

std::vector<std::string> Model::sample(int64_t count, double temperature, uint64_t seed) const {
  REDES_CHECK(kind() == DataKind::text, Error,
              "this model was not trained on words (train one with [data] kind = \"text\")");
  return with_graph(
      [&](Graph& g) { return sample_words(g, data_meta(*this), count, temperature, seed); });
}

Model Model::build(Task task, Shape input, std::vector<LayerSpec> layers, uint64_t seed,
                   int64_t classes) {
  REDES_CHECK(task == Task::binary || task == Task::multiclass || task == Task::regression,
              ConfigError,
              "Model::build makes binary, multiclass and regression models; forecasters and word "
              "models are trained from a config (redes::train_run), which fits their codec");
  // A multiclass model on (C, H, W) samples is an image classifier (predict takes pixels);
  // anything else reads its inputs as they are, like a table's.
  const DataKind kind =
      task == Task::multiclass && input.rank() == 3 ? DataKind::images : DataKind::table;
  Model m;
  m.graph = std::make_unique<Graph>(std::move(layers), input);
  if (task == Task::multiclass && classes == 0) classes = m.graph->output_shape().numel();
  check_output(task, m.graph->output_shape(), task == Task::multiclass ? Shape{} : Shape{1},
               classes, "Model::build");
  Rng rng(seed);
  Rng init_rng = rng.split();
  m.graph->init(init_rng);
  m.meta = {{"task", name(task)}, {"kind", name(kind)}, {"loss", default_loss(task)}};
  if (kind == DataKind::images) m.meta["data"] = {{"shape", input.dims()}};
  if (is_classifier(task)) {
    std::vector<std::string> names;
    for (int64_t c = 0; c < (task == Task::binary ? 2 : classes); ++c)
      names.push_back(std::to_string(c));
    m.meta["classes"] = names;
  }
  return m;
}

namespace {

// Progress that forwards each epoch's log to a callback.
class EpochCallback : public Progress {
 public:
  explicit EpochCallback(const std::function<void(const EpochLog&)>& f) : f_(f) {}
  void epoch(const EpochLog& log, int) override {
    if (f_) f_(log);
  }

 private:
  const std::function<void(const EpochLog&)>& f_;
};

}  // namespace

std::vector<EpochLog> Model::fit(TensorView<const float> x, TensorView<const float> y,
                                 const FitOptions& options,
                                 const std::function<void(const EpochLog&)>& on_epoch,
                                 TensorView<const float> val_x, TensorView<const float> val_y) {
  REDES_CHECK(graph != nullptr, Error, "the model has no network");
  const Task t = task();
  REDES_CHECK(kind() == DataKind::table || kind() == DataKind::images, Error,
              "Model::fit trains on tensors the network takes directly: tables and images");
  check_batch(x.shape(), graph->input_shape(), "float");
  REDES_CHECK(y.rank() >= 1 && y.dim(0) == x.dim(0), ShapeError,
              "fit: x has " + std::to_string(x.dim(0)) + " samples but y " + y.shape().str());
  LossSpec ls = options.loss;
  if (ls.kind.empty()) ls.kind = default_loss(t);
  REDES_CHECK(fits(t, ls.kind), ConfigError,
              "loss '" + ls.kind + "' does not fit task '" + std::string(name(t)) + "' (" +
                  losses_text(t) + ")");
  const auto copy = [](TensorView<const float> v) {
    return Tensor(v.shape(), std::vector<float>(v.begin(), v.end()));
  };
  TensorDataset train(copy(x), copy(y));
  std::unique_ptr<TensorDataset> val;
  if (!val_x.empty()) {
    check_batch(val_x.shape(), graph->input_shape(), "float");
    val = std::make_unique<TensorDataset>(copy(val_x), copy(val_y));
  }
  auto loss = make_loss<float>(ls);
  use_chosen_num_threads();
  Trainer trainer(*graph, *loss, options.optimizer, options.schedule, options.train, t);
  Rng rng(options.seed);
  rng.split();  // the draw build() used for the weights, so that a seed means the same
  EpochCallback progress(on_epoch);
  auto logs = trainer.fit(train, val.get(), rng, &progress);
  meta["loss"] = ls.kind;
  std::lock_guard<std::mutex> lock(pool_->mutex);
  pool_->free.clear();  // the replicas hold the old weights
  pool_->source = nullptr;
  return logs;
}

}  // namespace redes
