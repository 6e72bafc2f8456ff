// The table of runs (redes/runs_table.hpp): what each run folder says of itself, read without
// touching its lock (a probe of the lock could make a training that starts at that moment
// fail), as text, JSON and one page.
#include "redes/runs_table.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "redes/checkpoint.hpp"
#include "redes/config.hpp"
#include "redes/error.hpp"
#include "redes/files.hpp"
#include "redes/run_folder.hpp"
#include "redes/task.hpp"
#include "report/html.hpp"
#include "report/svg.hpp"

namespace redes {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// What a run folder holds (README, "train writes a run folder").
constexpr const char* kSummaryJson = "summary.json";
constexpr const char* kConfigToml = "config.toml";
constexpr const char* kReportHtml = "report.html";
constexpr uint64_t kMaxJsonBytes = uint64_t(64) << 20;

constexpr std::string_view kStatusNames[] = {"finished", "interrupted", "failed",
                                             "running",  "not a run",   "damaged"};
static_assert(std::size(kStatusNames) == kRunStatusCount, "a name per RunStatus, in enum order");

constexpr std::string_view kSortKeyNames[] = {"name",   "task",   "date",   "epochs",
                                              "status", "metric", "seconds"};
static_assert(std::size(kSortKeyNames) == kRunSortKeyCount, "a name per RunSortKey, in order");

bool file_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// A JSON file of the folder as an object; Error "<file>: <problem>" (the file's name only: the
// row names the folder) when it cannot be read, is not JSON or not an object.
json read_json_object(const fs::path& path) {
  const std::string file = path.filename().string();
  std::string text;
  try {
    text = read_file<Error>(path.string(), kMaxJsonBytes, "a run's " + file);
  } catch (const Error& e) {
    // read_file names the whole path; the row's folder already says where.
    std::string why = e.what();
    if (why.starts_with(path.string())) why = file + why.substr(path.string().size());
    throw Error(why);
  }
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    std::string why = e.what();
    if (const size_t at = why.find("] "); why.starts_with("[json.exception") && at != why.npos)
      why = why.substr(at + 2);
    throw Error(file + ": not valid JSON: " + why);
  }
  REDES_CHECK(j.is_object(), Error, file + ": not a JSON object");
  return j;
}

// The members of a run's JSON files. Each may be absent (nullopt), but one of the wrong type
// is damage, not a value to guess at: redes writes them with their types.
std::optional<std::string> text_member(const json& j, const std::string& file,
                                       const std::string& key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  REDES_CHECK(j[key].is_string(), Error,
              file + ": " + key + " is not a string (" + j[key].type_name() + ")");
  return j[key].get<std::string>();
}

std::optional<int64_t> integer_member(const json& j, const std::string& file,
                                      const std::string& key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  REDES_CHECK(j[key].is_number_integer(), Error,
              file + ": " + key + " is not a whole number (" + j[key].type_name() + ")");
  return j[key].get<int64_t>();
}

// A figure; null is one that was not a number (JSON has no NaN: nlohmann writes it as null).
std::optional<double> number_member(const json& j, const std::string& file,
                                    const std::string& key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  REDES_CHECK(j[key].is_number(), Error,
              file + ": " + key + " is not a number (" + j[key].type_name() + ")");
  return j[key].get<double>();
}

// "2026-12-06T22:15:03Z" (what run.json and summary.json write; fractions of a second and an
// offset "+01:00" are read too) as seconds since 1970 UTC.
std::optional<int64_t> parse_utc(const std::string& s) {
  int y, mo, d, h, mi, sec, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
      used != 19)
    return std::nullopt;
  size_t at = 19;
  if (at < s.size() && s[at] == '.')
    for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9';) ++at;
  int64_t offset = 0;
  const std::string zone = s.substr(at);
  int oh, om, zone_used = 0;
  if (zone == "Z" || zone.empty()) {
    offset = 0;
  } else if ((zone[0] == '+' || zone[0] == '-') &&
             std::sscanf(zone.c_str() + 1, "%2d:%2d%n", &oh, &om, &zone_used) == 2 &&
             zone_used == 5 && zone.size() == 6) {
    offset = (zone[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
  tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
  return int64_t(timegm(&tm)) - offset;
}

std::string format_time(int64_t t, bool utc, const char* format) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  if (!(utc ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm))) return "";
  char buf[64];
  return std::strftime(buf, sizeof buf, format, &tm) ? buf : "";
}

std::string base_name(const std::string& path) {
  fs::path p(path);
  if (p.filename().empty()) p = p.parent_path();  // a folder of images given as "dir/"
  return p.filename().string();
}

// Whether the process that wrote run.json still runs: on this host, with its pid alive (EPERM:
// alive, but another user's). A pid from another host cannot be seen from here.
bool process_alive(int64_t pid, const std::optional<std::string>& host) {
  if (host) {
    char here[256] = {};
    if (gethostname(here, sizeof here - 1) != 0 || *host != here) return false;
  }
  // 0 and negative pids would signal process groups.
  if (pid <= 0 || pid > INT_MAX) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  // A killed process its parent has not reaped yet (a zombie) still answers kill(); its state
  // in /proc, the letter after the name's closing parenthesis, says it is gone.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: kill() has the last word
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() ||
         (line[close + 2] != 'Z' && line[close + 2] != 'X');
}

// Runs older than run.json: the task and the data file from config.toml, the config as used
// (data paths absolute). Best effort: a config this redes no longer reads leaves them empty.
void read_config_toml(const fs::path& dir, RunRow& row) {
  const fs::path path = dir / kConfigToml;
  if (!file_exists(path)) return;
  try {
    const Config c = load_config(path.string());
    row.config = c.name;
    row.task = name(c.task);
    if (c.data_path_keys.empty()) return;
    // The first file the [data] table names: the table, the series, the training images.
    const toml::table t = toml::parse(c.text, path.string());
    const toml::node_view v = t["data"][c.data_path_keys.front()];
    if (const auto s = v.value<std::string>()) {
      row.data = base_name(*s);
    } else if (const toml::array* a = v.as_array(); a && !a->empty()) {
      if (const auto first = (*a)[0].value<std::string>()) row.data = base_name(*first);
    }
  } catch (const std::exception&) {
  }
}

// run.json, written by the training at its start, at every checkpoint and at its end.
void read_run_json(const fs::path& dir, bool has_checkpoint, RunRow& row) {
  const json j = read_json_object(dir / kRunRecordName);
  const std::string file = kRunRecordName;
  if (auto v = text_member(j, file, "run_id")) row.run_id = *v;
  if (auto v = text_member(j, file, "name")) row.config = *v;
  if (auto v = text_member(j, file, "task")) row.task = *v;
  if (auto v = text_member(j, file, "data")) row.data = base_name(*v);
  if (auto v = text_member(j, file, "started")) {
    const auto t = parse_utc(*v);
    REDES_CHECK(t, Error,
                file + ": started '" + one_line(*v) + "' is not a time like 2026-12-06T22:15:03Z");
    row.date = *t;
  }
  row.epochs_done = integer_member(j, file, "epochs_done");
  row.epochs_planned = integer_member(j, file, "epochs");
  const auto status = text_member(j, file, "status");
  REDES_CHECK(status, Error, file + ": no status");
  if (*status == "finished") {
    row.status = RunStatus::finished;
  } else if (*status == "interrupted") {
    row.status = RunStatus::interrupted;
  } else if (*status == "failed") {
    row.status = RunStatus::failed;
    row.error = one_line(text_member(j, file, "error").value_or(""));
  } else if (*status == "running") {
    // The training rewrites run.json when it ends; "running" from a process that is gone means
    // it was killed (SIGKILL, a power cut) before it could.
    const auto pid = integer_member(j, file, "pid");
    REDES_CHECK(pid, Error, file + ": status running without a pid");
    const auto host = text_member(j, file, "host");
    if (process_alive(*pid, host)) {
      row.status = RunStatus::running;
    } else if (has_checkpoint) {
      row.status = RunStatus::interrupted;
    } else {
      row.status = RunStatus::failed;
      row.error = "its process (pid " + std::to_string(*pid) + (host ? " on " + *host : "") +
                  ") ended before its first checkpoint";
    }
  } else {
    throw Error(file + ": status '" + one_line(*status) +
                "' is none of running, finished, interrupted, failed");
  }
}

// summary.json of a finished run: the epochs, seconds per epoch, and the headline test figure
// beside the best baseline.
void read_summary_json(const fs::path& dir, bool has_run_json, RunRow& row) {
  REDES_CHECK(file_exists(dir / kSummaryJson), Error,
              "run.json says finished, but there is no " + std::string(kSummaryJson));
  const json j = read_json_object(dir / kSummaryJson);
  const std::string file = kSummaryJson;
  const auto task_text = text_member(j, file, "task");
  REDES_CHECK(task_text, Error, file + ": no task");
  const auto task = task_named(*task_text);
  REDES_CHECK(task, Error, file + ": task '" + one_line(*task_text) + "' is not a task of redes");
  row.task = *task_text;
  const auto epochs = integer_member(j, file, "epochs");
  REDES_CHECK(epochs, Error, file + ": no epochs");
  row.epochs_done = epochs;
  row.seconds_per_epoch = number_member(j, file, "seconds_per_epoch");
  if (!has_run_json) {
    if (auto v = text_member(j, file, "run_id")) row.run_id = *v;
    if (auto v = text_member(j, file, "started"))
      if (const auto t = parse_utc(*v)) row.date = *t;
  }
  REDES_CHECK(j.contains("test") && j["test"].is_object(), Error, file + ": no test figures");
  row.metric = headline_metric(*task);
  REDES_CHECK(j["test"].contains(row.metric), Error, file + ": test has no " + row.metric);
  row.test = number_member(j["test"], file + " test", row.metric);

  if (!j.contains("baselines")) return;
  REDES_CHECK(j["baselines"].is_object(), Error, file + ": baselines is not an object");
  const bool higher = higher_is_better(row.metric);
  for (const auto& [baseline, figures] : j["baselines"].items()) {
    // A baseline that could not be fitted holds {"error": ...}; the n-gram models name the
    // split: test_perplexity.
    if (!figures.is_object()) continue;
    std::optional<double> v;
    for (const std::string& key : {row.metric, "test_" + row.metric})
      if (!v) v = number_member(figures, file + " baselines." + baseline, key);
    if (v && (!row.baseline_test || (higher ? *v > *row.baseline_test : *v < *row.baseline_test))) {
      row.baseline = baseline;
      row.baseline_test = v;
    }
  }
}

// The table's columns: their titles and each row's cells, for the text and the page alike.
struct Column {
  const char* title;
  bool right;  // numbers, right-aligned in the text
};
constexpr Column kColumns[] = {{"name", false},          {"config", false}, {"task", false},
                               {"data", false},          {"date", false},   {"epochs", true},
                               {"status", false},        {"metric", false}, {"test", true},
                               {"best baseline", false}, {"s/epoch", true}};

std::vector<std::string> cells(const RunRow& r) {
  const auto number = [](const std::optional<double>& v, int digits) {
    return v ? html::fixed(*v, digits) : std::string("-");
  };
  const auto text = [](const std::string& s) { return s.empty() ? std::string("-") : one_line(s); };
  std::string epochs = "-";
  if (r.epochs_done) {
    epochs = std::to_string(*r.epochs_done);
    // A finished run did all it was going to (early stopping may end it before its plan).
    if (r.status != RunStatus::finished && r.epochs_planned)
      epochs += "/" + std::to_string(*r.epochs_planned);
  }
  std::string baseline = "-";
  if (r.baseline_test) baseline = html::fixed(*r.baseline_test, 4) + " " + one_line(r.baseline);
  std::vector<std::string> c = {text(r.name),
                                text(r.config),
                                text(r.task),
                                text(r.data),
                                format_time(r.date, false, "%Y-%m-%d %H:%M"),
                                epochs,
                                std::string(name(r.status)),
                                text(r.metric),
                                number(r.test, 4),
                                baseline,
                                number(r.seconds_per_epoch, 3)};
  return c;
}

std::vector<std::string> titles() {
  std::vector<std::string> t;
  for (const Column& c : kColumns) t.emplace_back(c.title);
  return t;
}

// report.html's path as seen from the page's folder, for a link that works wherever the two
// are moved together.
std::string relative_link(const fs::path& target, const std::string& page_path) {
  const fs::path from = fs::absolute(page_path).lexically_normal().parent_path();
  const fs::path to = fs::absolute(target).lexically_normal();
  const fs::path rel = to.lexically_relative(from);
  return (rel.empty() ? to : rel).generic_string();
}

}  // namespace

std::string_view name(RunStatus status) { return kStatusNames[static_cast<int>(status)]; }

RunRow read_run_row(const std::string& dir) {
  RunRow row;
  const fs::path path(dir);
  row.dir = dir;
  row.name = base_name(dir);
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) row.date = st.st_mtime;
  const bool has_run_json = file_exists(path / kRunRecordName),
             has_summary = file_exists(path / kSummaryJson),
             has_checkpoint = file_exists(path / kCheckpointName);
  row.has_report = file_exists(path / kReportHtml);
  if (!has_run_json && !has_summary && !has_checkpoint) return row;  // not a run
  try {
    read_config_toml(path, row);  // what run.json does not say (and all of it for older runs)
    if (has_run_json) {
      read_run_json(path, has_checkpoint, row);
    } else {
      // Runs older than run.json: summary.json is written at the end, the checkpoint at every
      // epoch's end.
      row.status = has_summary ? RunStatus::finished : RunStatus::interrupted;
    }
    if (row.status == RunStatus::finished) read_summary_json(path, has_run_json, row);
  } catch (const std::exception& e) {
    // Whatever is wrong with one folder, the others are still listed.
    row.status = RunStatus::damaged;
    row.error = one_line(e.what());
    row.metric.clear(), row.test.reset(), row.baseline.clear(), row.baseline_test.reset();
  }
  return row;
}

std::vector<RunRow> list_runs(const std::string& dir) {
  std::error_code ec;
  REDES_CHECK(fs::exists(dir, ec), Error,
              dir + ": no such folder (redes train writes its runs into runs/ by default)");
  REDES_CHECK(fs::is_directory(dir, ec), Error, dir + ": not a folder (a folder of run folders)");
  std::vector<RunRow> rows;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code is_dir_ec;
    if (name.starts_with('.') || !it->is_directory(is_dir_ec)) continue;
    rows.push_back(read_run_row((fs::path(dir) / name).string()));
  }
  REDES_CHECK(!ec, Error, dir + ": cannot read the folder: " + ec.message());
  sort_runs(rows, RunSortKey::date);
  return rows;
}

std::optional<RunSortKey> run_sort_key_named(std::string_view key) {
  for (int i = 0; i < kRunSortKeyCount; ++i)
    if (kSortKeyNames[i] == key) return static_cast<RunSortKey>(i);
  return std::nullopt;
}

std::string run_sort_key_names() {
  std::string s;
  for (const auto k : kSortKeyNames) s += (s.empty() ? "" : ", ") + std::string(k);
  return s;
}

void sort_runs(std::vector<RunRow>& rows, RunSortKey key) {
  // A row without the value sorts first: std::nullopt < any value.
  const auto before = [key](const RunRow& a, const RunRow& b) -> bool {
    switch (key) {
      case RunSortKey::name:
        return false;
      case RunSortKey::task:
        return a.task < b.task;
      case RunSortKey::date:
        return a.date < b.date;
      case RunSortKey::epochs:
        return a.epochs_done < b.epochs_done;
      case RunSortKey::status:
        return name(a.status) < name(b.status);
      case RunSortKey::metric: {
        if (a.metric != b.metric) return a.metric < b.metric;
        if (!a.test || !b.test) return !a.test && b.test;
        // The best last: for accuracy the highest, for rmse and perplexity the lowest.
        return higher_is_better(a.metric) ? *a.test < *b.test : *a.test > *b.test;
      }
      case RunSortKey::seconds:
        return a.seconds_per_epoch < b.seconds_per_epoch;
    }
    return false;
  };
  std::sort(rows.begin(), rows.end(), [&](const RunRow& a, const RunRow& b) {
    if (before(a, b)) return true;
    if (before(b, a)) return false;
    return std::tie(a.name, a.dir) < std::tie(b.name, b.dir);
  });
}

std::string runs_text(const std::vector<RunRow>& rows, const std::string& dir) {
  std::vector<std::vector<std::string>> table = {titles()};
  for (auto& t : table[0]) std::transform(t.begin(), t.end(), t.begin(), ::toupper);
  for (const RunRow& r : rows) table.push_back(cells(r));
  std::vector<size_t> width(table[0].size(), 0);
  for (const auto& line : table)
    for (size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
  std::string out;
  for (const auto& line : table) {
    std::string t;
    for (size_t c = 0; c < line.size(); ++c) {
      const std::string pad(width[c] - line[c].size(), ' ');
      t += (c ? "  " : "") + (kColumns[c].right ? pad + line[c] : line[c] + pad);
    }
    while (!t.empty() && t.back() == ' ') t.pop_back();
    out += t + "\n";
  }
  if (rows.empty()) out += "no runs in " + dir + "\n";
  return out;
}

nlohmann::ordered_json runs_json(const std::vector<RunRow>& rows) {
  using ojson = nlohmann::ordered_json;
  const auto text = [](const std::string& s) { return s.empty() ? ojson() : ojson(s); };
  const auto number = [](const auto& v) { return v ? ojson(*v) : ojson(); };
  ojson out = ojson::array();
  for (const RunRow& r : rows)
    out.push_back(
        {{"name", r.name},
         {"config", text(r.config)},
         {"dir", r.dir},
         {"run_id", text(r.run_id)},
         {"task", text(r.task)},
         {"data", text(r.data)},
         {"date", format_time(r.date, true, "%Y-%m-%dT%H:%M:%SZ")},
         {"epochs_done", number(r.epochs_done)},
         {"epochs_planned", number(r.epochs_planned)},
         {"status", name(r.status)},
         {"error", text(r.error)},
         {"metric", text(r.metric)},
         {"test", number(r.test)},
         {"baseline", text(r.baseline)},
         {"baseline_test", number(r.baseline_test)},
         {"seconds_per_epoch", number(r.seconds_per_epoch)},
         {"report", r.has_report ? ojson((fs::path(r.dir) / kReportHtml).string()) : ojson()}});
  return out;
}

std::string runs_html(const std::vector<RunRow>& rows, const std::string& dir,
                      const std::string& page_path) {
  std::vector<std::vector<std::string>> table = {titles()};
  for (auto& t : table[0]) t = svg::escape(t);
  std::string notes;
  for (const RunRow& r : rows) {
    std::vector<std::string> line = cells(r);
    const std::string shown_name = line[0];
    for (auto& c : line) c = svg::escape(c);
    if (r.has_report)
      line[0] = html::link(relative_link(fs::path(r.dir) / kReportHtml, page_path), shown_name);
    table.push_back(std::move(line));
    if (!r.error.empty())
      notes += "<li>" + svg::escape(r.name + " (" + std::string(name(r.status)) + "): " + r.error) +
               "</li>";
  }
  // A line per run, as in the text, however long a name or a date.
  std::string body = "<div class=\"nowrap\">" + html::table_markup(table, false) + "</div>";
  if (rows.empty()) body += "<p class=\"note\">" + svg::escape("no runs in " + dir) + "</p>";
  if (!notes.empty()) body += "<ul class=\"note\">" + notes + "</ul>";
  body +=
      "<p class=\"note\">test: the task's headline figure on the test split (accuracy, rmse or "
      "perplexity); best baseline: the best of the run's baselines on the same figure; a name "
      "links to the run's report.</p>";
  return html::page(
      "redes runs: " + dir,
      std::to_string(rows.size()) + (rows.size() == 1 ? " folder" : " folders") + " in " + dir,
      html::section("Runs", body));
}

}  // namespace redes
