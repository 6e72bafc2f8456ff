// What the run pipeline needs from any kind of data: the three splits as Datasets and what
// the model file must remember to read new data the same way.
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redes/config.hpp"
#include "redes/dataset.hpp"
#include "redes/graph.hpp"
#include "redes/table.hpp"

namespace redes {

struct LoadedData {
  std::unique_ptr<Dataset> train, val, test;       // val may be null
  std::vector<std::string> classes;                // classification: class names, index = label
  std::string target;                              // the column predicted (tables, series)
  Preprocessor prep;                               // tables: stored in the model file
  nlohmann::json meta = nlohmann::json::object();  // stored in the model file's meta["data"]
  nlohmann::json rows = nlohmann::json::object();  // summary.json "rows": counts per split
  nlohmann::json splits;    // splits.json (tables: the file rows of each split)
  std::string description;  // one line for the log
  // Evaluations a kind of data adds to summary.json after training (forecasts in the original
  // units and baselines, perplexity beside n-gram baselines); may write files into out_dir.
  std::function<void(Graph& graph, nlohmann::json& summary, const std::string& out_dir)> report;
  // The test split as Model::predict takes it (images as uint8 pixels, series as the rows before
  // each forecast in the series' units) and its true targets: classes (N), values (N, K), token
  // ids (N, T); for predict --config.
  struct TestInputs {
    Tensor x;
    BasicTensor<uint8_t> pixels;  // images
    Tensor truth;
  };
  std::function<TestInputs()> test_inputs;
};

LoadedData load_table_data(const Config& config);   // data_table.cpp
LoadedData load_image_data(const Config& config);   // data_images.cpp
LoadedData load_series_data(const Config& config);  // data_series.cpp
LoadedData load_text_data(const Config& config);    // data_text.cpp

}  // namespace redes
