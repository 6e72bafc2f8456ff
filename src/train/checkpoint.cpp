// Checkpoints (checkpoint.hpp): TrainState and the weights in a tagged file.
#include "redes/checkpoint.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "io/tagged_file.hpp"
#include "redes/error.hpp"
#include "redes/files.hpp"
#include "tensor/json_integers.hpp"

namespace redes {

namespace {

constexpr tagged::Kind kCheckpointFile = {{'R', 'E', 'D', 'E', 'S', 'C', 'K', 'P'},
                                          kCheckpointFormatVersion,
                                          "a redes checkpoint",
                                          "checkpoint format"};

// JSON has no infinity or NaN (a plateau schedule starts with an infinite best): those go
// as strings.
nlohmann::json number(double v) {
  if (std::isfinite(v)) return v;
  return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
}
double number(const nlohmann::json& j) {
  if (!j.is_string()) return j.get<double>();
  const std::string s = j.get<std::string>();
  if (s == "nan") return NAN;
  if (s == "inf" || s == "-inf") return s == "inf" ? INFINITY : -INFINITY;
  throw ModelFileError("'" + s + "' is not a number");
}

void check_generator(const std::vector<uint64_t>& state, bool may_be_empty, const char* what) {
  if (state.size() != 6 && !(may_be_empty && state.empty()))
    throw ModelFileError(std::string(what) + " is not six numbers");
}

}  // namespace

nlohmann::json RankState::to_json() const {
  return {{"dropout_rng", dropout_rng}, {"data_rng", data_rng}, {"batch_metrics", batch_metrics}};
}

RankState RankState::from_json(const nlohmann::json& j) {
  RankState r{json_integers<uint64_t>(j.at("dropout_rng")),
              json_integers<uint64_t>(j.at("data_rng")), j.at("batch_metrics")};
  check_generator(r.dropout_rng, false, "a rank's dropout generator state");
  check_generator(r.data_rng, true, "a rank's data generator state");
  return r;
}

void save_checkpoint(const std::string& path, const TrainState& st, const Graph& graph,
                     const std::string& config_text, CheckpointLogs* cache) {
  nlohmann::json h;
  h["format"] = "redes-checkpoint";
  h["config"] = config_text;
  std::vector<std::span<const float>> blocks;
  h["params"] = nlohmann::json::array();
  for (const auto& p : graph.state()) {
    h["params"].push_back({{"name", p.name}, {"shape", p.param->shape.dims()}});
    blocks.emplace_back(p.param->value, static_cast<size_t>(p.param->numel()));
  }
  h["optimizer"] = {{"lr", st.optimizer.lr}, {"steps", st.optimizer.steps}};
  h["optimizer"]["sizes"] = nlohmann::json::array();
  for (const auto& v : st.optimizer.vectors) {
    h["optimizer"]["sizes"].push_back(v.size());
    blocks.emplace_back(v);
  }
  h["best_weights"] = st.best_weights.size();
  blocks.emplace_back(st.best_weights);
  h["epoch"] = st.epoch;
  h["batch"] = st.batch;
  h["finished"] = st.finished;
  h["order"] = st.order;
  h["loss_sum"] = number(st.loss_sum);
  h["batch_metrics"] = st.batch_metrics;
  h["rng"] = st.rng;
  h["dropout_rng"] = st.dropout_rng;
  h["data_rng"] = st.data_rng;
  if (!st.ranks.empty()) {
    h["ranks"] = nlohmann::json::array();
    for (const auto& r : st.ranks) h["ranks"].push_back(r.to_json());
  }
  h["schedule"] = {{"epoch", st.schedule.epoch},
                   {"lr", st.schedule.lr},
                   {"best", number(st.schedule.best)},
                   {"bad_epochs", st.schedule.bad_epochs}};
  h["best"] = number(st.best);
  h["since_best"] = st.since_best;
  h["best_epoch"] = st.best_epoch;
  CheckpointLogs local;
  CheckpointLogs& logs = cache && cache->epochs <= st.logs.size() ? *cache : local;
  for (; logs.epochs < st.logs.size(); ++logs.epochs)
    logs.json += (logs.epochs ? "," : "") + tagged::dump_json(st.logs[logs.epochs].to_json());
  std::string text = tagged::dump_json(h);  // {...}: the logs go in before the last brace
  text.pop_back();
  text.reserve(text.size() + logs.json.size() + 12);
  text.append(",\"logs\":[").append(logs.json).append("]}");
  write_file_atomic(path, tagged::pack_text(kCheckpointFile, text, blocks));
}

std::string read_checkpoint_file(const std::string& path) {
  return read_file<ModelFileError>(path, tagged::kMaxFileBytes, "a redes checkpoint");
}

Checkpoint load_checkpoint(const std::string& path, Graph& graph, const std::string* config_text) {
  return load_checkpoint_bytes(path, read_checkpoint_file(path), graph, config_text);
}

Checkpoint load_checkpoint_bytes(const std::string& path, const std::string& bytes, Graph& graph,
                                 const std::string* config_text) {
  const tagged::Sections sec = tagged::check_layout(path, bytes, kCheckpointFile);
  const nlohmann::json h = tagged::parse_header(path, sec.header);
  const auto bad = [&](const std::string& what) {
    return ModelFileError(path + ": bad header: " + what);
  };
  Checkpoint c;
  TrainState& st = c.state;
  try {
    if (h.at("format") != "redes-checkpoint") throw bad("format is not 'redes-checkpoint'");
    c.config_text = h.at("config").get<std::string>();
    if (config_text) {
      const std::string difference = config_difference(c.config_text, *config_text);
      if (!difference.empty())
        throw ConfigError(path + ": the config differs from the run's: " + difference +
                          " (a resume may change only --epochs and --threads)");
    }
    // The floats listed must be exactly those stored before anything is allocated for them.
    const auto& params = graph.state();
    const auto& listed = h.at("params");
    if (listed.size() != params.size())
      throw ModelFileError(path + ": the model has " + std::to_string(params.size()) +
                           " parameters, the checkpoint " + std::to_string(listed.size()));
    uint64_t needed = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string name = listed[i].at("name").get<std::string>();
      const Shape shape(json_integers<int64_t>(listed[i].at("shape")));
      if (name != params[i].name || shape != params[i].param->shape)
        throw ModelFileError(path + ": parameter " + std::to_string(i + 1) + " is " +
                             params[i].name + " " + params[i].param->shape.str() +
                             " in the model but " + one_line(name) + " " + shape.str() +
                             " in the checkpoint");
      needed += static_cast<uint64_t>(params[i].param->numel());
    }
    std::vector<uint64_t> sizes = json_integers<uint64_t>(h.at("optimizer").at("sizes"));
    sizes.push_back(json_integer<uint64_t>(h.at("best_weights")));
    for (uint64_t n : sizes) {
      if (n > sec.count - std::min(needed, sec.count)) throw bad("more floats listed than stored");
      needed += n;
    }
    if (needed != sec.count)
      throw bad(std::to_string(needed) + " floats listed, " + std::to_string(sec.count) +
                " stored");

    const char* src = sec.floats;
    for (const auto& p : params) {
      tagged::floats_from_le(src, static_cast<size_t>(p.param->numel()), p.param->value);
      src += 4 * p.param->numel();
    }
    const auto floats = [&](uint64_t n) {
      std::vector<float> v(n);
      tagged::floats_from_le(src, n, v.data());
      src += 4 * n;
      return v;
    };
    st.optimizer.lr = h.at("optimizer").at("lr").get<double>();
    st.optimizer.steps = json_integer<int64_t>(h.at("optimizer").at("steps"));
    for (size_t i = 0; i + 1 < sizes.size(); ++i) st.optimizer.vectors.push_back(floats(sizes[i]));
    st.best_weights = floats(sizes.back());

    st.epoch = json_integer<int>(h.at("epoch"));
    st.batch = json_integer<int64_t>(h.at("batch"));
    st.finished = h.at("finished").get<bool>();
    st.order = json_integers<int64_t>(h.at("order"));
    for (int64_t r : st.order)
      if (r < 0 || r >= static_cast<int64_t>(st.order.size())) throw bad("order out of range");
    st.loss_sum = number(h.at("loss_sum"));
    st.batch_metrics = h.at("batch_metrics");
    st.rng = json_integers<uint64_t>(h.at("rng"));
    st.dropout_rng = json_integers<uint64_t>(h.at("dropout_rng"));
    st.data_rng = json_integers<uint64_t>(h.at("data_rng"));
    check_generator(st.rng, false, "a generator state");
    check_generator(st.dropout_rng, false, "a generator state");
    check_generator(st.data_rng, true, "the data's generator state");
    if (h.contains("ranks")) {
      for (const auto& r : h.at("ranks")) st.ranks.push_back(RankState::from_json(r));
      if (st.ranks.size() == 1) throw bad("the state of a single rank under 'ranks'");
    }
    const auto& sch = h.at("schedule");
    st.schedule = {json_integer<int>(sch.at("epoch")), sch.at("lr").get<double>(),
                   number(sch.at("best")), json_integer<int>(sch.at("bad_epochs"))};
    st.best = number(h.at("best"));
    st.since_best = json_integer<int>(h.at("since_best"));
    st.best_epoch = json_integer<int>(h.at("best_epoch"));
    for (const auto& l : h.at("logs")) st.logs.push_back(EpochLog::from_json(l));
    if (st.epoch < 1 || st.batch < 0) throw bad("epoch or batch out of range");
  } catch (const toml::parse_error& e) {  // the run's config, as config_difference reads it
    throw bad("the config is not TOML: " + one_line(e.description()));
  } catch (const nlohmann::json::exception& e) {
    throw bad(one_line(e.what()));
  } catch (const ShapeError& e) {
    throw bad(one_line(e.what()));
  } catch (const ModelFileError& e) {
    if (std::string(e.what()).starts_with(path)) throw;
    throw bad(one_line(e.what()));
  }
  return c;
}

namespace {

std::string show(const toml::node& n) {
  if (n.is_table()) return "a table";
  if (const auto* a = n.as_array()) return "a list of " + std::to_string(a->size());
  std::ostringstream os;
  n.visit([&](const auto& v) { os << v; });
  return os.str();
}

// The first place where a and b differ, as "where: key is B, the run had A".
std::string difference(const toml::node& a, const toml::node& b, const std::string& where) {
  const auto* ta = a.as_table();
  const auto* tb = b.as_table();
  if (ta && tb) {
    for (const auto& [k, v] : *tb) {
      const std::string key(k.str());
      const std::string at = where.empty() ? key : where + "." + key;
      if (at == "train.epochs" || at == "threads") continue;  // a resume may change these
      const toml::node* old = ta->get(key);
      if (!old) return at + " is new (" + show(v) + ")";
      if (auto d = difference(*old, v, at); !d.empty()) return d;
    }
    for (const auto& [k, v] : *ta) {
      const std::string key(k.str());
      const std::string at = where.empty() ? key : where + "." + key;
      if (at != "train.epochs" && at != "threads" && !tb->get(key))
        return at + " is gone (the run had " + show(v) + ")";
    }
    return "";
  }
  const auto* aa = a.as_array();
  const auto* ab = b.as_array();
  if (aa && ab) {
    if (aa->size() != ab->size())
      return where + " has " + std::to_string(ab->size()) + " entries, the run had " +
             std::to_string(aa->size());
    for (size_t i = 0; i < aa->size(); ++i)
      if (auto d = difference(*aa->get(i), *ab->get(i), where + "[" + std::to_string(i + 1) + "]");
          !d.empty())
        return d;
    return "";
  }
  if (a.type() != b.type() || show(a) != show(b))
    return where + " is " + show(b) + ", the run had " + show(a);
  return "";
}

}  // namespace

std::string config_difference(const std::string& run_text, const std::string& new_text) {
  const toml::table a = toml::parse(run_text), b = toml::parse(new_text);
  return difference(a, b, "");
}

}  // namespace redes
