// Tabular data: CSV files and JSON arrays of records, turned into feature and target tensors
// with the preprocessing (one-hot, standardisation, imputation, target rule) fitted on the
// training split only and stored in the model file.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "redes/task.hpp"
#include "redes/tensor.hpp"

namespace redes {

// A cell is missing (empty CSV field, JSON null or absent key), a number, or text.
using Cell = std::variant<std::monostate, double, std::string>;

struct Table {
  std::string source;  // file name, for messages
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;  // rows[i].size() == columns.size()
  std::vector<int64_t> lines;  // the source line (CSV) or record number (JSON, 1-based) of each row
  std::string format;          // "csv" or "json": whether lines holds lines or records
  // The place of row i for messages: "<source>:<line>" (CSV), "<source>: record <n>" (JSON).
  std::string where(size_t row) const;
  // Index of a column; throws DataError "<source>: no column 'x' (columns: a, b, c)".
  size_t column(const std::string& name) const;
};

// Reads a CSV file (header row, comma separated, RFC 4180 quotes) or a JSON array of objects.
// format is "csv", "json" or "" (from the extension). Throws DataError naming the file and the
// line or record for an unreadable file, a malformed row, an empty file.
Table read_table(const std::string& path, const std::string& format = "");

// How the target column becomes the label.
struct TargetRule {
  std::string kind = "none";  // "none": as is; "above": 1 if value > threshold, else 0;
                              // "above_median": threshold = median of the column over all rows
  double threshold = 0;       // resolved threshold (set by fitting for above_median)
};

struct TableSpec {
  std::string path;
  std::string format;                    // "csv", "json" or "" (from the extension)
  std::vector<std::string> features;     // columns used as inputs
  std::vector<std::string> categorical;  // of these, the ones one-hot encoded
  std::string target;
  TargetRule rule;
  std::string missing = "drop";  // "drop" rows with a missing feature or target, or impute
                                 // features with the training "mean" or "median" (targets: dropped)
  bool standardize = true;       // numeric features to zero mean, unit variance (training stats)
  double test_fraction = 0.3;
  double validation_fraction = 0.0;  // of the rows left after the test split
  bool stratify = true;              // keep class proportions in each split (classification)
};

// Everything needed to turn new rows into the network's input: stored in the model file.
struct Preprocessor {
  struct Column {
    std::string name;
    bool categorical = false;
    double mean = 0, scale = 1;           // numeric: x -> (x - mean) / scale
    double fill = 0;                      // numeric: value imputed for a missing cell
    std::vector<std::string> categories;  // categorical: one output per category (sorted)
  };
  Task task = Task::binary;  // binary, multiclass or regression
  std::vector<Column> columns;
  std::string target;
  TargetRule rule;
  std::vector<std::string> classes;  // classification: class names, index = label
  std::string missing = "drop";

  int64_t width() const;                         // number of network inputs after one-hot encoding
  std::vector<std::string> input_names() const;  // e.g. "Origin=USA", "Weight_in_lbs"
  // The standardisation encode applies, as network input i = value * scale[i] + shift[i] of a
  // feature value (a one-hot input passes as it is): for graphs that take raw values (ONNX).
  void input_affine(std::vector<float>& scale, std::vector<float>& shift) const;

  struct Encoded {
    Tensor x;                   // (N, width)
    Tensor y;                   // (N, 1) for binary and regression, (N) class index for multiclass
    std::vector<int64_t> rows;  // index into the table of each encoded row
    int64_t dropped = 0;        // rows dropped for missing values
  };
  // need_target: the target column must be present (training, eval) or is ignored (predict).
  // A non-numeric value in a numeric column, a NaN, an unknown column or category is a
  // DataError naming the file, the line and the column.
  Encoded encode(const Table& table, bool need_target) const;

  nlohmann::json to_json() const;
  static Preprocessor from_json(const nlohmann::json& j);
};

struct TabularSplits {
  Preprocessor prep;
  Preprocessor::Encoded train, val, test;  // val is empty when validation_fraction == 0
  int64_t rows_read = 0, rows_dropped = 0;
};

// Reads the table, fits the preprocessing on the training split only, and encodes the three
// splits. task: one a table serves (binary, multiclass, regression). Splits are drawn from seed.
TabularSplits load_tabular(const TableSpec& spec, Task task, uint64_t seed);

}  // namespace redes
