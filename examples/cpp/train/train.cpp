// train [MODEL.redes] [INPUTS.npy]: builds a small network in code, trains it on two noisy
// Gaussian blobs made in memory, prints the loss of every epoch and the training accuracy,
// saves the model (default model.redes), loads it back and checks that it predicts the same.
// With INPUTS.npy it also writes the blobs' points there, for the classify example:
//   train model.redes points.npy && classify model.redes points.npy
#include <cstdint>
#include <cstdio>
#include <random>
#include <redes/redes.hpp>
#include <string>

int main(int argc, char** argv) {
  // Lets OpenMP's threads sleep while they wait (may restart the program once; see threads.hpp).
  redes::apply_openmp_wait_policy(argv);
  const std::string model_path = argc > 1 ? argv[1] : "model.redes";
  try {
    // The data: N points in the plane, x (N, 2), and their class, y (N, 1) in {0, 1}. Class 0
    // lies around (-1, -1), class 1 around (1, 1), with noise of standard deviation 0.7 on
    // each coordinate, so the blobs overlap a little and about 98% can be told apart.
    const int64_t n = 400;
    redes::Tensor x(redes::Shape{n, 2}), y(redes::Shape{n, 1});
    std::mt19937 gen(7);
    std::normal_distribution<float> noise(0.0f, 0.7f);
    for (int64_t i = 0; i < n; ++i) {
      y[i] = static_cast<float>(i % 2);
      const float centre = y[i] == 1 ? 1.0f : -1.0f;
      x[2 * i] = centre + noise(gen);
      x[2 * i + 1] = centre + noise(gen);
    }

    // The network: 2 inputs -> 16 hidden units with ReLU -> 1 logit. A binary model's output is
    // the logit of class 1; predict() turns it into a probability (a sigmoid).
    redes::Model model =
        redes::Model::build(redes::Task::binary, redes::Shape{2},
                            {redes::layer("linear", {{"units", 16}}), redes::layer("relu"),
                             redes::layer("linear", {{"units", 1}})});
    std::printf("%s\n", model.summary().c_str());

    // The [loss], [optimizer] and [train] tables of a config, in code. The loss left empty is
    // the task's default (binary cross-entropy on the logit).
    redes::FitOptions options;
    options.optimizer.lr = 0.01;  // Adam
    options.train.epochs = 20;
    options.train.batch_size = 32;
    model.fit(x.view(), y.view(), options, [](const redes::EpochLog& e) {
      std::printf("epoch %2d  loss %.4f\n", e.epoch, e.train.loss);
    });

    // predict gives (N, 1): P(class 1) of every point; the class is the likelier one.
    const redes::Tensor p = model.predict(x.view());
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i) correct += (p[i] >= 0.5f) == (y[i] == 1);
    std::printf("training accuracy %.3f\n", static_cast<double>(correct) / n);

    // The model file holds the network, its weights and the task: a loaded model is the same.
    model.save(model_path);
    const redes::Model loaded = redes::Model::load(model_path);
    if (loaded.predict(x.view()).values() != p.values())
      throw redes::Error(model_path + ": the loaded model predicts differently");
    std::printf("saved %s; loaded back, it predicts the same\n", model_path.c_str());
    if (argc > 2) {
      redes::write_npy(argv[2], x.view());  // float32, as numpy.save writes it
      std::printf("wrote the %lld points to %s\n", static_cast<long long>(n), argv[2]);
    }
  } catch (const redes::Error& e) {
    std::fprintf(stderr, "train: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
