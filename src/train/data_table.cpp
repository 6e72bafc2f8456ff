// Tables (CSV, JSON records) for the run pipeline.
#include "redes/train.hpp"
#include "train/loaded_data.hpp"

namespace redes {

LoadedData load_table_data(const Config& config) {
  TabularSplits data = load_tabular(config.data, config.task, config.seed);
  LoadedData d;
  d.train = std::make_unique<TensorDataset>(data.train.x, data.train.y);
  d.test = std::make_unique<TensorDataset>(data.test.x, data.test.y);
  if (data.val.x.numel() > 0) d.val = std::make_unique<TensorDataset>(data.val.x, data.val.y);
  d.classes = data.prep.classes;
  d.target = config.data.target;
  d.test_inputs = [x = data.test.x, y = data.test.y] { return LoadedData::TestInputs{x, {}, y}; };
  d.prep = data.prep;
  d.rows = {{"read", data.rows_read},
            {"dropped", data.rows_dropped},
            {"train", data.train.x.dim(0)},
            {"validation", data.val.x.dim(0)},
            {"test", data.test.x.dim(0)}};
  // The rows (0-based, in file order) of each split, so another tool can train on the same ones.
  d.splits = {{"data", config.data.path},
              {"train", data.train.rows},
              {"validation", data.val.rows},
              {"test", data.test.rows}};
  d.description = config.data.path + ": " + std::to_string(data.rows_read) + " rows, " +
                  std::to_string(data.rows_dropped) + " dropped for missing values; train " +
                  std::to_string(data.train.x.dim(0)) + ", validation " +
                  std::to_string(data.val.x.dim(0)) + ", test " +
                  std::to_string(data.test.x.dim(0));
  return d;
}

}  // namespace redes
