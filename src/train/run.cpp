// A run: the pipeline behind `redes train`, `redes eval` and `redes predict`.
#include "redes/run.hpp"

#include <toml++/toml.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "kernels/gemm.hpp"
#include "redes/checkpoint.hpp"
#include "redes/distributed.hpp"
#include "redes/isa.hpp"
#include "redes/npy.hpp"
#include "redes/report.hpp"
#include "redes/run_folder.hpp"
#include "redes/threads.hpp"
#include "train/baselines.hpp"
#include "train/loaded_data.hpp"

namespace redes {

namespace fs = std::filesystem;

namespace {

// The data of a config, by its [data] kind.
LoadedData load_data(const Config& config) {
  // parse_config checks these; a Config made in code meets the same rules here.
  if (const std::string problem = mismatch(config.data_kind, config.task); !problem.empty())
    throw ConfigError(config.path + ": " + problem);
  if (!fits(config.task, config.loss.kind))
    throw ConfigError(config.path + ": loss '" + config.loss.kind + "' does not fit task '" +
                      std::string(name(config.task)) + "' (" + losses_text(config.task) + ")");
  switch (config.data_kind) {
    case DataKind::table:
      return load_table_data(config);
    case DataKind::images:
      return load_image_data(config);
    case DataKind::series:
      return load_series_data(config);
    case DataKind::text:
      return load_text_data(config);
  }
  throw Error("unknown kind of data");
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomic(path.string(), text);
}

std::string metrics_csv(const std::vector<EpochLog>& logs) {
  // The metric names in their first-seen order; a split's columns exist when any epoch has it.
  std::vector<std::string> names;
  const auto note = [&](const Metrics& m) {
    for (const auto& [k, v] : m.values)
      if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
  };
  bool any_val = false;
  for (const auto& l : logs) {
    note(l.train);
    if (l.val) note(*l.val), any_val = true;
  }
  std::ostringstream os;
  os.precision(9);
  os << "epoch";
  for (const char* split : {"train_", "val_"}) {
    if (split[0] == 'v' && !any_val) continue;
    os << "," << split << "loss";
    for (const auto& n : names) os << "," << split << n;
  }
  os << ",lr,seconds\n";
  const auto cells = [&](const Metrics* m) {
    os << ",";
    if (m) os << m->loss;
    for (const auto& n : names) {
      os << ",";
      if (!m) continue;
      if (const auto it = m->values.find(n); it != m->values.end()) os << it->second;
    }
  };
  for (const auto& l : logs) {
    os << l.epoch;
    cells(&l.train);
    if (any_val) cells(l.val ? &*l.val : nullptr);
    os << "," << l.lr << "," << l.seconds << "\n";
  }
  return os.str();
}

// The task's baselines beside the network (train/baselines.hpp), when the config asks for them:
// fitted on the training split, their test figures into summary.json "baselines"; returns them
// for the model file, where `redes eval --baselines` finds them. (Forecasts and word models
// add theirs in data.report.)
std::vector<Baseline> run_baselines(const Config& config, const LoadedData& data, int64_t outputs,
                                    nlohmann::json& summary, Progress& progress) {
  if (!config.train.baselines) return {};
  const auto start = std::chrono::steady_clock::now();
  std::vector<Baseline> kept;
  nlohmann::json figures = nlohmann::json::object();
  const std::string_view metric = headline_metric(config.task);  // accuracy, rmse
  std::string line;
  for (FittedBaseline& f : fit_baselines(config, *data.train, data.val.get(), outputs)) {
    nlohmann::json& j = figures[f.baseline.name];
    if (!f.error.empty()) {
      j = {{"error", f.error}};
      line += ", " + f.baseline.name + " diverged";
      continue;
    }
    const Metrics m = score_baseline(f.baseline, config.task, config.loss, *data.test);
    j = m.to_json();
    if (f.epochs) j["epochs"] = f.epochs;
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.4f",
                  m.values.count(std::string(metric)) ? m.values.at(std::string(metric)) : m.loss);
    line += ", " + f.baseline.name + buf;
    kept.push_back(std::move(f.baseline));
  }
  if (figures.empty()) return kept;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary["baselines"] = figures;
  summary["baseline_seconds"] = seconds;
  char buf[32];
  std::snprintf(buf, sizeof buf, " (%.2f s)", seconds);
  progress.message("baselines, test " + std::string(metric) + ": " + line.substr(2) + buf);
  return kept;
}

// What run.json says of a run besides what RunFolder adds (redes/run_folder.hpp).
nlohmann::json run_record(const Config& config) {
  nlohmann::json r = {{"name", config.name},
                      {"config", config.path},
                      {"task", name(config.task)},
                      {"kind", name(config.data_kind)},
                      {"epochs", config.train.epochs}};
  // The data: the first file or folder the [data] section names, as the run reads it.
  const toml::table t = toml::parse(config.text, config.path);
  for (const auto& key : config.data_path_keys) {
    const toml::node* n = t["data"][key].node();
    if (const auto* list = n ? n->as_array() : nullptr; list && !list->empty()) n = list->get(0);
    if (const auto* path = n ? n->as_string() : nullptr) {
      r["data"] = path->get();
      break;
    }
  }
  return r;
}

// train_run after rank 0 has claimed the run folder (folder: null on the other ranks).
nlohmann::json train_in(const Config& config, RunFolder* folder, const std::string& checkpoint_path,
                        std::string& checkpoint_bytes, LoadedData data,
                        std::unique_ptr<Graph> graph, std::unique_ptr<Loss<float>> loss, Rng& rng,
                        Progress& progress, const RunControl& control);

}  // namespace

nlohmann::json train_run(const Config& config, const std::string& out, Progress& progress,
                         const RunControl& control) {
  // Under MPI every rank trains (redes/distributed.hpp); rank 0 alone writes the run folder.
  Communicator& comm = world();
  const bool writer = comm.rank() == 0;
  set_num_threads(config.threads);
  LoadedData data;
  std::unique_ptr<Graph> graph;
  std::unique_ptr<Loss<float>> loss;
  Rng rng(config.seed);
  // Rank 0's claim on the run folder (redes/run_folder.hpp): out, or the next free name.
  std::optional<RunFolder> folder;
  std::string checkpoint_path = (fs::path(out) / kCheckpointName).string();
  std::string checkpoint_bytes;  // under MPI rank 0 alone reads the file, then broadcasts it
  agreed([&] {
    data = load_data(config);
    graph = std::make_unique<Graph>(config.layers, data.train->sample_shape());
    check_output(config.task, graph->output_shape(), data.train->target_shape(),
                 static_cast<int64_t>(data.classes.size()), config.path);
    Rng init_rng = rng.split();
    graph->init(init_rng);
    loss = make_loss<float>(config.loss);
    progress.message(data.description);
    if (!writer) return;
    folder.emplace(out,
                   control.resume      ? RunFolder::Mode::resume
                   : control.overwrite ? RunFolder::Mode::overwrite
                                       : RunFolder::Mode::fresh,
                   run_record(config));
    if (!folder->note().empty()) progress.message(folder->note());
    checkpoint_path = (fs::path(folder->path()) / kCheckpointName).string();
    if (control.resume) {
      checkpoint_bytes = read_checkpoint_file(checkpoint_path);  // there: RunFolder checked
    } else {
      // At the start, so that the folder says what is being trained in it.
      write_text(fs::path(folder->path()) / "config.toml", config.text);
    }
  });
  // From here on, run.json says how the run ended if it does not finish.
  try {
    return train_in(config, folder ? &*folder : nullptr, checkpoint_path, checkpoint_bytes,
                    std::move(data), std::move(graph), std::move(loss), rng, progress, control);
  } catch (const Interrupted& e) {
    if (!folder) throw;
    folder->interrupted();
    throw Interrupted(std::string(e.what()) + "; the checkpoint is in " + folder->path() +
                      "; to go on: redes train " + config.path + " --resume " + folder->path());
  } catch (const std::exception& e) {
    if (folder) folder->failed(e.what());
    throw;
  }
}

namespace {

nlohmann::json train_in(const Config& config, RunFolder* folder, const std::string& checkpoint_path,
                        std::string& checkpoint_bytes, LoadedData data,
                        std::unique_ptr<Graph> graph, std::unique_ptr<Loss<float>> loss, Rng& rng,
                        Progress& progress, const RunControl& control) {
  Communicator& comm = world();
  const bool writer = folder != nullptr;
  const std::string out = writer ? folder->path() : std::string();
  std::optional<Checkpoint> resumed;
  if (control.resume) {
    comm.broadcast(checkpoint_bytes, 0);
    resumed = agreed([&] {
      Checkpoint c = load_checkpoint_bytes(checkpoint_path, checkpoint_bytes, *graph, &config.text);
      const size_t ranks = std::max<size_t>(c.state.ranks.size(), 1);
      REDES_CHECK(ranks == size_t(comm.size()), Error,
                  checkpoint_path + ": the training ran on " + std::to_string(ranks) +
                      (ranks == 1 ? " process" : " MPI ranks") + ", this one on " +
                      std::to_string(comm.size()) + "; resume it on " +
                      (ranks == 1 ? "one process (without mpirun)"
                                  : "as many (mpirun -np " + std::to_string(ranks) + ")"));
      progress.message("resuming " + out + " at epoch " + std::to_string(c.state.epoch) +
                       ", batch " + std::to_string(c.state.batch));
      return c;
    });
  }
  Checkpointing checkpoints;
  checkpoints.every_batches = config.train.checkpoint_every_batches;
  checkpoints.every_seconds = config.train.checkpoint_every_seconds;
  checkpoints.stop = control.stop;
  checkpoints.resume = resumed ? &resumed->state : nullptr;
  CheckpointLogs logs_written;
  if (writer)
    checkpoints.write = [&](const TrainState& st) {
      save_checkpoint(checkpoint_path, st, *graph, config.text, &logs_written);
      folder->checkpointed(static_cast<int>(st.logs.size()));
    };

  Trainer trainer(*graph, *loss, config.optimizer, config.schedule, config.train, config.task);
  std::vector<EpochLog> logs;
  try {
    logs = trainer.fit(*data.train, data.val.get(), rng, &progress, &checkpoints);
  } catch (const Diverged& e) {
    if (!writer || !fs::exists(checkpoint_path)) throw;
    throw Diverged(std::string(e.what()) + " (the last good checkpoint stays in " +
                   checkpoint_path + ")");
  }
  const Metrics test_metrics = trainer.evaluate(*data.test);

  std::vector<double> seconds;
  for (const auto& l : logs) seconds.push_back(l.seconds);

  nlohmann::json summary = {
      {"name", config.name},
      {"task", name(config.task)},
      {"kind", name(config.data_kind)},
      {"epochs", static_cast<int>(logs.size())},
      {"best_epoch", trainer.best_epoch()},
      {"stopped_early", trainer.stopped_early()},
      {"seconds_per_epoch", median(seconds)},
      {"seed", config.seed},
      {"threads", num_threads()},  // per rank
      {"thread_shares", trainer.thread_shares()},
      {"isa", isa_name(active_isa())},  // the tier of redes' kernels (redes/isa.hpp)
      {"blas", blas_kernels()},
      {"ranks", comm.size()},
      {"parameters", graph->num_params()},
      {"rows", data.rows},
      {"test", test_metrics.to_json()},
  };
  // The final model on each split, in evaluation mode (no dropout, no augmentation), so that
  // the gap between train and validation measures overfitting; epoch_loss is the last epoch's
  // mean while training, as metrics.csv has it.
  summary["train"] = trainer.evaluate(*data.train).to_json();
  summary["train"]["epoch_loss"] = logs.empty() ? 0.0 : logs.back().train.loss;
  if (data.val) summary["validation"] = trainer.evaluate(*data.val).to_json();
  if (!data.classes.empty()) summary["classes"] = data.classes;
  const std::vector<Baseline> baselines =
      run_baselines(config, data, graph->output_shape().numel(), summary, progress);
  if (comm.size() > 1) {
    // Every rank took the same steps: the same weights, bit for bit, or something is wrong.
    const auto v = graph->values();
    const uint32_t crc = uint32_t(
        crc32(0, reinterpret_cast<const unsigned char*>(v.data()), unsigned(v.size_bytes())));
    const auto all = comm.allgather(std::to_string(crc));
    for (size_t r = 1; r < all.size(); ++r)
      if (all[r] != all[0])
        throw Agreed("the weights of rank " + std::to_string(r) +
                     " differ from rank 0's after "
                     "training (CRC-32 " +
                     all[r] + " against " + all[0] + ")");
    summary["mpi"] = comm.describe();
    summary["weights_crc32"] = crc;
    // What the reductions cost: a step's bytes of gradients, and each rank's seconds per step
    // in the reductions and their share of its steps' time. The rank that waits least shows the
    // transfer; the others add the time they waited for it.
    const auto& times = trainer.step_times();
    const double steps = double(std::max<int64_t>(times.steps, 1));
    nlohmann::json per_step = nlohmann::json::array(), share = nlohmann::json::array();
    for (const auto& r :
         comm.allgather(nlohmann::json::array({times.reducing / steps,
                                               times.reducing / std::max(times.seconds, 1e-12)})
                            .dump())) {
      const auto j = nlohmann::json::parse(r);
      per_step.push_back(j[0]), share.push_back(j[1]);
    }
    summary["allreduce"] = {{"bytes_per_step", sizeof(float) * v.size()},
                            {"steps", times.steps},
                            {"seconds_per_step", per_step},
                            {"share_of_step_time", share}};
  }
  if (!writer) return summary;

  // Who the run is and what it ran on, so that a file copied out of the folder can be traced.
  for (const char* key : {"run_id", "redes_version", "git_commit", "machine", "started"})
    if (folder->record().contains(key)) summary[key] = folder->record().at(key);
  summary["ended"] = utc_now();
  fs::create_directories(out);
  if (data.report) data.report(*graph, summary, out);
  Model model;
  model.graph = std::move(graph);
  model.prep = data.prep;
  model.meta = {{"task", name(config.task)}, {"kind", name(config.data_kind)},
                {"loss", config.loss.kind},  {"name", config.name},
                {"run_id", folder->id()},    {"data", data.meta}};
  for (const auto& b : baselines) model.meta["baselines"][b.name] = b.to_json();
  save_model((fs::path(out) / "model.redes").string(), model);
  write_text(fs::path(out) / "config.toml", config.text);
  write_text(fs::path(out) / "metrics.csv", metrics_csv(logs));
  write_text(fs::path(out) / "summary.json", summary.dump(2) + "\n");
  if (!data.splits.is_null()) write_text(fs::path(out) / "splits.json", data.splits.dump() + "\n");
  for (const auto& file : write_conv_pictures(*model.graph, *data.test, out))
    progress.message("wrote " + file);

  // report.html: the classifiers' test predictions come from the one predict path (the
  // forecasts from test_forecast.csv; a word model's (N, T, V) probabilities are not needed).
  RunReport report{summary, logs, model.graph->layer_rows(), config.text, out};
  report.classes = data.classes;
  report.target = data.target;
  if (is_classifier(config.task) && config.task != Task::language_model && data.test_inputs) {
    LoadedData::TestInputs in = data.test_inputs();
    report.predictions =
        in.pixels.values().empty() ? model.predict(in.x.view()) : model.predict(in.pixels.view());
    report.truth = std::move(in.truth);
    report.pixels = std::move(in.pixels);
  }
  if (config.data_kind == DataKind::images && config.images.augment.any()) {
    const ImageSet first = read_image_split(config.images, true, 6);
    const auto tiles = augment_preview(first, config.images.augment, 6, 7, config.seed);
    std::vector<const float*> ptrs;
    for (const auto& t : tiles) ptrs.push_back(t.data());
    report.augment_png = png_grid(ptrs, first.channels, first.height, first.width,
                                  first.height < 64 ? 2 : 1, 8, 0.0f, 1.0f);
  }
  write_text(fs::path(out) / "report.html", run_report_html(report));
  folder->finished(static_cast<int>(logs.size()), summary["ended"].get<std::string>());
  summary["out"] = out;  // for the caller: the folder it went to (not in summary.json)
  return summary;
}

}  // namespace

namespace {

// The config as used: the file's text with the overrides written in and its relative data
// paths made absolute, so that the run folder's copy reads the same files from anywhere
// (`redes eval --config run/config.toml`).
std::string config_as_used(const Config& c, const TrainOverrides& o) {
  toml::table t = toml::parse(c.text, c.path);
  const fs::path base = fs::absolute(c.path).parent_path();
  bool relative = false;
  const auto absolute = [&](toml::node& n) {
    if (auto* s = n.as_string(); s && fs::path(s->get()).is_relative()) {
      *s = (base / s->get()).lexically_normal().string();
      relative = true;
    }
  };
  if (auto* data = t["data"].as_table())
    for (const auto& key : c.data_path_keys)
      if (toml::node* n = data->get(key)) {
        if (auto* list = n->as_array())
          for (auto& e : *list) absolute(e);
        else
          absolute(*n);
      }
  if (!o.epochs && !o.seed && !o.threads && !relative) return c.text;
  if (o.seed) t.insert_or_assign("seed", static_cast<int64_t>(*o.seed));
  if (o.threads) t.insert_or_assign("threads", *o.threads);
  if (o.epochs) {
    if (!t.contains("train")) t.insert("train", toml::table{});
    t["train"].as_table()->insert_or_assign("epochs", *o.epochs);
  }
  // Floats as written (0.3, not 0.29999999999999999), strings as the file wrote them.
  toml::toml_formatter out(
      t, toml::toml_formatter::default_flags | toml::format_flags::relaxed_float_precision);
  std::ostringstream os;
  os << "# " << c.path << " as used: data paths made absolute, command-line overrides applied\n"
     << out << "\n";
  return os.str();
}

}  // namespace

nlohmann::json train_config(const std::string& config_path, const TrainOverrides& o,
                            Progress& progress) {
  Config c = agreed([&] {  // under MPI: reported once, not by every rank
    Config c = load_config(config_path);
    if (o.epochs) {
      if (*o.epochs < 1) throw ConfigError("--epochs must be at least 1");
      c.train.epochs = *o.epochs;
    }
    if (o.seed) c.seed = *o.seed;
    if (o.threads) {
      if (*o.threads < 0) throw ConfigError("--threads must be 0 (all cores) or more");
      c.threads = *o.threads;
    }
    c.text = config_as_used(c, o);
    return c;
  });
  return train_run(c, o.out.empty() ? "runs/" + c.name : o.out, progress, o.control);
}

namespace {

// The data of a config for a saved model: checks that its samples and task fit the model.
LoadedData load_data_for(const Model& model, const Config& config) {
  REDES_CHECK(model.task() == config.task && model.kind() == config.data_kind, ConfigError,
              config.path + ": task '" + std::string(name(config.task)) + "' on " +
                  std::string(name(config.data_kind)) + " data, the model was trained for '" +
                  std::string(name(model.task())) + "' on " + std::string(name(model.kind())) +
                  " data");
  LoadedData data = load_data(config);
  const Shape input = data.test->sample_shape();
  REDES_CHECK(input == model.graph->input_shape(), ConfigError,
              config.path + ": its data gives samples of shape " + input.str() +
                  ", the model takes " + model.graph->input_shape().str() +
                  " (use the config the model was trained with)");
  return data;
}

// The baselines stored with a model, scored on data as its run scored them (not fitted again).
void score_stored_baselines(const Model& model, const Dataset& data,
                            std::map<std::string, Metrics>& out) {
  for (const Baseline& b : model.baselines())
    out[b.name] = score_baseline(b, model.task(), model.loss(), data);
}

void write_out(const std::string& out, const std::string& text) {
  if (out == "-" || out.empty())
    std::fwrite(text.data(), 1, text.size(), stdout);
  else
    write_file_atomic(out, text);
}

// The one writer of prediction CSVs. predictions are (N, ...) as Model::predict gives them;
// a sample whose prediction is (T, V) (a word model) gives a row per step, with a "step"
// column. With truth ((N) classes, (N, K) values or (N, T) token ids), rows start with the
// sample's index and end with the true target, and steps without a target (-1) are left out.
// Without it, `slots` maps each output row to a prediction (-1: an empty row, for table rows
// that could not be encoded).
std::string predictions_csv(const Model& model, const Tensor& predictions, const Tensor* truth,
                            const std::vector<int64_t>& slots) {
  const Task task = model.task();
  const auto classes = model.classes();
  const Shape per = predictions.shape().sample();
  const bool steps = per.rank() == 2;
  const int64_t n = predictions.dim(0), width = per.rank() ? per[-1] : 1;
  const int64_t rows_per = steps ? per[0] : 1;
  const std::string target =
      model.prep.columns.empty()
          ? model.meta.value("data", nlohmann::json::object()).value("value", "")
          : model.prep.target;
  auto cols = prediction_columns(task, classes, target, width);
  const int64_t truth_width = truth && n ? truth->numel() / (n * rows_per) : 0;

  std::string csv;
  const auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) csv += (i ? "," : "") + cells[i];
    csv += "\n";
  };
  std::vector<std::string> head;
  if (truth) head.push_back("index");
  if (steps) head.push_back("step");
  head.insert(head.end(), cols.begin(), cols.end());
  if (truth) {
    if (truth_width == 1) head.push_back("true");
    for (int64_t k = 1; truth_width > 1 && k <= truth_width; ++k)
      head.push_back("true+" + std::to_string(k));
  }
  line(head);
  const auto true_cells = [&](int64_t at) {
    std::vector<std::string> cells;
    const float* t = truth->data() + at * truth_width;
    for (int64_t k = 0; k < truth_width; ++k) {
      if (is_classifier(task)) {
        const auto c = static_cast<int64_t>(t[k]);
        cells.push_back(c >= 0 && c < static_cast<int64_t>(classes.size()) ? classes[c]
                                                                           : std::to_string(c));
      } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.7g", double(t[k]));
        cells.push_back(buf);
      }
    }
    return cells;
  };
  const auto sample_rows = [&](int64_t i) {
    for (int64_t s = 0; s < rows_per; ++s) {
      const int64_t at = i * rows_per + s;
      if (truth && steps && truth->data()[at] < 0) continue;  // padding: nothing to predict
      std::vector<std::string> cells;
      if (truth) cells.push_back(std::to_string(i));
      if (steps) cells.push_back(std::to_string(s));
      auto p = prediction_cells(task, classes, predictions.data() + at * width, width);
      cells.insert(cells.end(), p.begin(), p.end());
      if (truth) {
        auto t = true_cells(at);
        cells.insert(cells.end(), t.begin(), t.end());
      }
      line(cells);
    }
  };
  if (truth) {
    for (int64_t i = 0; i < n; ++i) sample_rows(i);
  } else {
    for (int64_t slot : slots) {
      if (slot < 0)
        line(std::vector<std::string>(cols.size(), ""));
      else
        sample_rows(slot);
    }
  }
  return csv;
}

}  // namespace

Metrics evaluate_model(const Model& model, const std::string& data_path,
                       std::map<std::string, Metrics>* baselines) {
  REDES_CHECK(!model.prep.columns.empty(), Error,
              data_path + ": this model was not trained on a table: evaluate it with --config");
  auto enc = model.prep.encode(read_table(data_path), true);
  REDES_CHECK(enc.x.dim(0) > 0, DataError, data_path + ": no row left to evaluate");
  const TensorDataset data(enc.x, enc.y);
  if (baselines) score_stored_baselines(model, data, *baselines);
  return model.evaluate(data);
}

Metrics evaluate_model_on_config(const Model& model, const Config& config,
                                 std::map<std::string, Metrics>* baselines) {
  const LoadedData data = load_data_for(model, config);
  if (baselines) score_stored_baselines(model, *data.test, *baselines);
  Metrics m = model.evaluate(*data.test);
  if (model.kind() == DataKind::series) {
    // A run reports a forecaster's errors in the series' units (the loss stays in the scaled
    // units the network learns in): the predictions of the one predict path against the values.
    const LoadedData::TestInputs in = data.test_inputs();
    m.values = compute_metrics(model.task(), model.predict(in.x.view()), in.truth, m.loss).values;
  }
  return m;
}

void predict_config_to_csv(const Model& model, const Config& config, const std::string& out) {
  const LoadedData data = load_data_for(model, config);
  const LoadedData::TestInputs in = data.test_inputs();
  const Tensor p =
      in.pixels.values().empty() ? model.predict(in.x.view()) : model.predict(in.pixels.view());
  write_out(out, predictions_csv(model, p, &in.truth, {}));
}

void predict_npy(const Model& model, const std::string& in, const std::string& out) {
  const NpyArray a = read_npy(in);
  Tensor p;
  try {
    p = a.type == NpyArray::Type::uint8
            ? model.predict(TensorView<const uint8_t>(a.bytes.data(), a.shape))
            : model.predict(TensorView<const float>(a.floats.data(), a.shape));
  } catch (const ShapeError& e) {
    throw ShapeError(in + ": " + e.what());
  }
  if (out.size() > 4 && out.ends_with(".npy")) {
    write_npy(out, p.view());
    return;
  }
  std::vector<int64_t> slots(p.shape().rank() ? p.dim(0) : 0);
  for (size_t i = 0; i < slots.size(); ++i) slots[i] = static_cast<int64_t>(i);
  write_out(out, predictions_csv(model, p, nullptr, slots));
}

int64_t predict_to_csv(const Model& model, const std::string& data_path, const std::string& out) {
  REDES_CHECK(!model.prep.columns.empty(), Error,
              data_path + ": this model was not trained on a table: give it a .npy array");
  const Table table = read_table(data_path);
  const auto enc = model.prep.encode(table, false);  // as Model::predict_table does
  const Tensor p = model.predict(enc.x.view());
  // Encoded rows map back to table rows; rows the encoder dropped get empty cells.
  const auto total = static_cast<int64_t>(table.rows.size());
  const auto& rows = enc.rows;
  std::vector<int64_t> slots(total, -1);
  for (size_t k = 0; k < rows.size(); ++k) slots[rows[k]] = static_cast<int64_t>(k);
  write_out(out, predictions_csv(model, p, nullptr, slots));
  return total - static_cast<int64_t>(rows.size());
}

Graph config_graph(const Config& config, std::vector<std::string>* classes) {
  const LoadedData data = load_data(config);
  Graph graph(config.layers, data.train->sample_shape());
  check_output(config.task, graph.output_shape(), data.train->target_shape(),
               static_cast<int64_t>(data.classes.size()), config.path);
  if (classes) *classes = data.classes;
  return graph;
}

}  // namespace redes
