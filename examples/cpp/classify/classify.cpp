// classify MODEL.redes INPUT.npy: loads a trained model (from `redes train`, or the train example
// beside this one), predicts every sample of a NumPy array and prints one line per sample: the
// predicted class and its probability for classifiers, the value(s) for regression.
//
// INPUT.npy holds N samples of the shape the model takes, (N, input_shape...): for a table model
// the network's inputs (one-hot and standardised, as the train example writes them), for an
// image model the pixels, uint8 0..255 or float 0..1.
#include <cstdint>
#include <cstdio>
#include <redes/redes.hpp>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: classify MODEL.redes INPUT.npy\n");
    return 2;
  }
  try {
    const redes::Model model = redes::Model::load(argv[1]);
    std::printf("%s\n", model.summary().c_str());
    if (model.task() == redes::Task::language_model)
      throw redes::Error(std::string(argv[1]) + ": a word model; `redes sample` draws from it");

    // read_npy converts every type to float32; uint8 arrays keep their bytes too, which the
    // uint8 overload of predict scales like the pixels the model was trained on.
    const redes::NpyArray a = redes::read_npy(argv[2]);
    const redes::Tensor p =
        a.type == redes::NpyArray::Type::uint8
            ? model.predict(redes::TensorView<const uint8_t>(a.bytes.data(), a.shape))
            : model.predict(redes::TensorView<const float>(a.floats.data(), a.shape));

    // p is (N, output...): binary (N, 1) P(class 1), multiclass (N, K) probabilities,
    // regression (N, 1) and forecasts (N, K) values.
    const std::vector<std::string> classes = model.classes();  // may be empty: then "0", "1", ...
    const auto class_name = [&](int64_t k) {
      return k < static_cast<int64_t>(classes.size()) ? classes[k] : std::to_string(k);
    };
    const int64_t n = p.dim(0);
    const int64_t width = n > 0 ? p.numel() / n : 0;
    for (int64_t i = 0; i < n; ++i) {
      const float* row = p.data() + i * width;
      if (model.task() == redes::Task::binary) {
        const bool one = row[0] >= 0.5f;
        std::printf("%s %.4f\n", class_name(one).c_str(), one ? row[0] : 1 - row[0]);
      } else if (model.task() == redes::Task::multiclass) {
        int64_t best = 0;  // the most probable class
        for (int64_t k = 1; k < width; ++k)
          if (row[k] > row[best]) best = k;
        std::printf("%s %.4f\n", class_name(best).c_str(), row[best]);
      } else {
        for (int64_t k = 0; k < width; ++k) std::printf(k ? " %g" : "%g", row[k]);
        std::printf("\n");
      }
    }
  } catch (const redes::Error& e) {
    // Every redes error is one line naming the file, the place and the problem.
    std::fprintf(stderr, "classify: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
