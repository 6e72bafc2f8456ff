// redes summary MODEL_OR_CONFIG [--json]: the layer table of a model file or of the network a
// config describes (like Keras' model.summary()), its totals, the task and the data it takes.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "redes/config.hpp"
#include "redes/error.hpp"
#include "redes/model.hpp"
#include "redes/run.hpp"

namespace redes::cli {

namespace {

struct SummaryArgs {
  std::string path;
  bool json = false;
};

// What the summary shows, from a model file or a config.
struct NetworkSummary {
  std::string source;  // "model" or "config"
  std::string name;
  Task task = Task::binary;
  DataKind kind = DataKind::table;
  Shape input, output;  // per sample, as the network takes and gives them
  std::vector<Graph::LayerRow> layers;
  int64_t parameters = 0, multiply_adds = 0;
  int64_t stored_values = 0;  // parameters and buffers (running statistics): the model's floats
  std::vector<std::string> classes;
};

void add_graph(NetworkSummary& s, const Graph& g) {
  s.input = g.input_shape();
  s.output = g.output_shape();
  s.layers = g.layer_rows();
  for (const auto& l : s.layers) s.parameters += l.params, s.multiply_adds += l.multiply_adds;
  for (const auto& p : g.state()) s.stored_values += p.param->numel();
}

// A model file starts with the magic "REDESMDL" (redes/model_file.hpp); a file called *.redes is
// taken for one too, so that a damaged model is reported as such, not as a bad config.
bool is_model_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": cannot open: Is a directory");
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw Error(path + ": cannot open: " + std::strerror(errno));
  char magic[8] = {};
  const size_t got = std::fread(magic, 1, sizeof magic, f.get());
  return (got == sizeof magic && std::memcmp(magic, "REDESMDL", sizeof magic) == 0) ||
         path.ends_with(".redes");
}

NetworkSummary summarise(const std::string& path) {
  NetworkSummary s;
  if (is_model_file(path)) {
    const Model m = Model::load(path);
    s.source = "model";
    s.name = m.meta.value("name", std::string());
    s.task = m.task();
    s.kind = m.kind();
    s.classes = m.classes();
    add_graph(s, *m.graph);
  } else {
    const Config c = load_config(path);
    s.source = "config";
    s.name = c.name;
    s.task = c.task;
    s.kind = c.data_kind;
    const Graph g = config_graph(c, &s.classes);
    add_graph(s, g);
  }
  if (!is_classifier(s.task)) s.classes.clear();
  return s;
}

// 1234567 -> "1,234,567".
std::string grouped(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

double megabytes(const NetworkSummary& s) { return 4.0 * s.stored_values / 1e6; }

std::string megabytes_text(double mb) {
  char buf[32];
  std::snprintf(buf, sizeof buf, mb >= 0.01 || mb == 0 ? "%.2f" : "%.2g", mb);
  return buf;
}

// In the order of the text (ordered_json keeps the keys as written).
nlohmann::ordered_json to_json(const NetworkSummary& s, const std::string& path) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const auto& l : s.layers)
    layers.push_back({{"name", l.name},
                      {"kind", l.kind},
                      {"inputs", l.inputs},
                      {"output_shape", l.output.dims()},
                      {"parameters", l.params},
                      {"multiply_adds", l.multiply_adds}});
  nlohmann::ordered_json j = {{"path", path},
                              {"source", s.source},
                              {"name", s.name},
                              {"task", name(s.task)},
                              {"kind", name(s.kind)},
                              {"input_shape", s.input.dims()},
                              {"output_shape", s.output.dims()},
                              {"layers", layers},
                              {"parameters", s.parameters},
                              {"multiply_adds", s.multiply_adds},
                              {"size_bytes", 4 * s.stored_values},
                              {"size_mb", megabytes(s)}};
  if (!s.classes.empty()) j["classes"] = s.classes;
  return j;
}

// The table with aligned columns: text left, numbers right (as Keras prints it).
std::string to_text(const NetworkSummary& s, const std::string& path) {
  std::vector<std::vector<std::string>> rows = {
      {"Layer", "Kind", "Inputs", "Output shape", "Parameters", "Multiply-adds"}};
  for (const auto& l : s.layers) {
    std::string in;
    for (const auto& i : l.inputs) in += (in.empty() ? "" : ", ") + i;
    rows.push_back(
        {l.name, l.kind, in, l.output.str(), grouped(l.params), grouped(l.multiply_adds)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  const size_t gap = 3;
  size_t total = 0;
  for (size_t w : width) total += w + gap;
  total -= gap;
  std::string out = "Model: " + (s.name.empty() ? std::string("(unnamed)") : s.name) + " (" +
                    s.source + " " + path + ")\n";
  const auto line = [&](const std::vector<std::string>& r) {
    std::string t;
    for (size_t c = 0; c < r.size(); ++c) {
      const bool right = c >= 4;  // the counts
      const std::string pad(width[c] - r[c].size(), ' ');
      t += (c ? std::string(gap, ' ') : "") + (right ? pad + r[c] : r[c] + pad);
    }
    while (!t.empty() && t.back() == ' ') t.pop_back();
    out += t + "\n";
  };
  out += std::string(total, '_') + "\n";
  line(rows[0]);
  out += std::string(total, '=') + "\n";
  for (size_t r = 1; r < rows.size(); ++r) line(rows[r]);
  out += std::string(total, '=') + "\n";
  const auto field = [&](const std::string& label, const std::string& value) {
    out += label + std::string(16 - std::min<size_t>(15, label.size()), ' ') + value + "\n";
  };
  field("Parameters:", grouped(s.parameters));
  field("Size:", megabytes_text(megabytes(s)) + " MB as float32 (" + grouped(4 * s.stored_values) +
                     " bytes" +
                     (s.stored_values > s.parameters ? ", with running statistics" : "") + ")");
  field("Multiply-adds:", grouped(s.multiply_adds) + " per sample");
  field("Task:", std::string(name(s.task)));
  field("Data:", std::string(name(s.kind)));
  field("Input shape:", s.input.str());
  field("Output shape:", s.output.str());
  if (!s.classes.empty()) {
    std::string cs;
    if (s.kind == DataKind::text) {
      cs = std::to_string(s.classes.size()) + " tokens";
    } else {
      for (const auto& c : s.classes) cs += (cs.empty() ? "" : ", ") + c;
      cs = std::to_string(s.classes.size()) + ": " + cs;
    }
    field("Classes:", cs);
  }
  return out;
}

}  // namespace

Command add_summary(CLI::App& app) {
  auto a = std::make_shared<SummaryArgs>();
  auto* cmd = app.add_subcommand(
      "summary", "Show a model's layers (of a model file, or of the network a config describes)");
  cmd->footer(
      "One row per layer: its name, kind, the layers it reads, its output shape per sample, its "
      "parameters and its multiply-adds per sample in a forward pass; then the totals, the size "
      "of the weights as float32, the task, the kind of data, the input shape and the classes. "
      "A config's input shape comes from its data, read as `redes train` reads it.\n"
      "Example: redes summary examples/lenet5-fashion.toml");
  cmd->add_option("model_or_config", a->path, "A model.redes file or a TOML config")->required();
  cmd->add_flag("--json", a->json, "Print the summary as JSON");
  return {cmd, [a] {
            const NetworkSummary s = summarise(a->path);
            if (a->json)
              std::printf("%s\n", to_json(s, a->path).dump(2).c_str());
            else
              std::fputs(to_text(s, a->path).c_str(), stdout);
            return 0;
          }};
}

}  // namespace redes::cli
