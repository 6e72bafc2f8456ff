// Everything a program that uses redes as a library needs: models (load, predict, build, fit,
// save), whole runs from a config, .npy arrays, and the tensors, layers and errors beneath.
//   #include <redes/redes.hpp>     (CMake: find_package(redes 0.2) and redes::redes)
#pragma once
#include "redes/config.hpp"
#include "redes/error.hpp"
#include "redes/isa.hpp"
#include "redes/model.hpp"
#include "redes/model_file.hpp"
#include "redes/npy.hpp"
#include "redes/run.hpp"
#include "redes/task.hpp"
#include "redes/tensor.hpp"
#include "redes/threads.hpp"
#include "redes/version.hpp"  // REDES_VERSION_MAJOR/MINOR/PATCH, redes::kVersion
