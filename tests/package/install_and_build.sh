#!/bin/bash
# The installed C++ package as a user meets it. Installs a build of redes into a temporary
# prefix, then, against that prefix only:
#   - checks the files (libredes.a, headers, lib/cmake/redes, lib/pkgconfig/redes.pc) and that
#     nothing installed points back into the source or build folder;
#   - compiles every installed header on its own (nothing from src/ may be needed);
#   - find_package(redes 0.2) accepts 0.2.0, find_package(redes 0.1 / 0.3) do not;
#   - configures and builds examples/cpp/train and examples/cpp/classify with CMake, each in a
#     fresh folder, and examples/cpp as a whole; runs train (which writes a model and the .npy
#     of its points) and classify on them, and checks what they print and that the programs
#     load the OpenMP build of OpenBLAS (the package's RPATH);
#   - builds a one-file program that links everything libredes.a has with
#     `g++ $(pkg-config --cflags --libs redes)` and with CMake, and runs it.
# Usage: install_and_build.sh BUILD_DIR SOURCE_DIR   (ctest -L package runs it)
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/redes-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
log=$tmp/log
# lib, unless the build was configured for /usr (lib/<multiarch>) or given another libdir.
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
libdir=${libdir:-lib}

fail() {
  echo "package: FAILED: $*" >&2
  exit 1
}
# run WHAT COMMAND...: runs the command quietly; on failure shows it and the end of its output.
run() {
  local what=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "package: FAILED: $what" >&2
    echo "  \$ $*" >&2
    tail -n 40 "$log" | sed 's/^/  | /' >&2
    exit 1
  fi
}

# --- install --------------------------------------------------------------------------------
run "cmake --install $build --prefix $prefix" cmake --install "$build" --prefix "$prefix"
for f in $libdir/libredes.a include/redes/redes.hpp $libdir/cmake/redes/redesConfig.cmake \
  $libdir/cmake/redes/redesConfigVersion.cmake $libdir/cmake/redes/redesTargets.cmake \
  $libdir/pkgconfig/redes.pc; do
  [ -f "$prefix/$f" ] || fail "the install has no $f"
done
# The package must describe the install alone: no path of this checkout, no internal target.
if grep -rlF -e "$src" -e "$build" "$prefix/$libdir/cmake" "$prefix/$libdir/pkgconfig"; then
  fail "the files above name the source or build folder ($src, $build)"
fi
if grep -lE 'redes_(tensor|kernels|layers|graph|optim|data|io|train|report|blas)\b|PkgConfig::' \
  "$prefix/$libdir"/cmake/redes/*.cmake; then
  fail "the exported interface names an internal target (redes_*, PkgConfig::*)"
fi

# --- every installed header compiles on its own -----------------------------------------------
for h in "$prefix"/include/redes/*.hpp; do
  name=redes/$(basename "$h")
  echo "#include <$name>" | g++ -std=c++20 -fsyntax-only -x c++ - -I"$prefix/include" \
    >"$log" 2>&1 || {
    sed 's/^/  | /' "$log" | head -n 20 >&2
    fail "<$name> does not compile on its own against the install"
  }
done

# --- the version rule: 0.2.x only (SameMinorVersion) ------------------------------------------
for want in 0.1 0.3; do
  mkdir -p "$tmp/version-$want"
  printf 'cmake_minimum_required(VERSION 3.20)\nproject(v LANGUAGES NONE)\nfind_package(redes %s REQUIRED)\n' \
    "$want" >"$tmp/version-$want/CMakeLists.txt"
  if cmake -S "$tmp/version-$want" -B "$tmp/version-$want/build" -DCMAKE_PREFIX_PATH="$prefix" \
    >"$log" 2>&1; then
    fail "find_package(redes $want) accepted version 0.2.0"
  fi
  grep -q '0\.2\.0' "$log" || fail "find_package(redes $want) failed without naming version 0.2.0"
done

# --- the examples, built as a user would -----------------------------------------------------
for ex in train classify; do
  run "configure examples/cpp/$ex against the install" \
    cmake -S "$src/examples/cpp/$ex" -B "$tmp/build-$ex" -DCMAKE_PREFIX_PATH="$prefix"
  grep -qxF "redes_DIR:PATH=$prefix/$libdir/cmake/redes" "$tmp/build-$ex/CMakeCache.txt" ||
    fail "examples/cpp/$ex found a redes package other than the one just installed"
  run "build examples/cpp/$ex" cmake --build "$tmp/build-$ex" -j2
done
run "configure examples/cpp (both examples)" \
  cmake -S "$src/examples/cpp" -B "$tmp/build-all" -DCMAKE_PREFIX_PATH="$prefix"
run "build examples/cpp (both examples)" cmake --build "$tmp/build-all" -j2
for exe in train/train classify/classify; do
  [ -x "$tmp/build-all/$exe" ] || fail "examples/cpp built no $exe"
done

train=$tmp/build-train/train
classify=$tmp/build-classify/classify
# grep reads all of ldd's output: under pipefail, -q's early exit can kill ldd with SIGPIPE and fail.
ldd "$train" | grep 'openblas-openmp/libopenblas' >/dev/null ||
  fail "train does not load OpenBLAS's OpenMP build: $(ldd "$train" | grep -i blas || echo 'no libopenblas')"

cd "$tmp"
run "train model.redes points.npy" "$train" model.redes points.npy
cp "$log" train.out
grep -q '^epoch 20 ' train.out || fail "train printed no loss for epoch 20: $(tail -n 3 train.out)"
grep -q 'loaded back, it predicts the same' train.out || fail "train did not check the loaded model"
accuracy=$(sed -n 's/^training accuracy //p' train.out)
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.9) }' ||
  fail "train reached a training accuracy of '$accuracy' (want >= 0.9)"
for f in model.redes points.npy; do
  [ -s "$f" ] || fail "train wrote no $f"
done

run "classify model.redes points.npy" "$classify" model.redes points.npy
cp "$log" classify.out
grep -q '^binary model on table data' classify.out || fail "classify printed no model summary"
lines=$(grep -cE '^[01] (0\.[0-9]{4}|1\.0000)$' classify.out || true)
[ "$lines" -eq 400 ] || fail "classify printed $lines class/probability lines (want 400)"
if "$classify" missing.redes points.npy >/dev/null 2>classify.err; then
  fail "classify succeeded on a missing model"
else
  [ $? -eq 1 ] || fail "classify on a missing model did not exit with 1"
fi
grep -q '^classify: error: .*missing.redes' classify.err ||
  fail "classify on a missing model printed: $(cat classify.err)"

# --- a program that links all of libredes.a, through pkg-config and through CMake -------------
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
[ "$(pkg-config --modversion redes)" = 0.2.0 ] || fail "pkg-config --modversion redes is not 0.2.0"
mkdir -p app
cat >app/app.cpp <<'CPP'
// Predicts, writes and reads a .npy; the calls under argc > 99 never run but make the linker
// pull in the config reader (tomlplusplus), the run (everything) and the PNG writer (stb).
#include <cstdio>
#include <redes/redes.hpp>
#include <redes/report.hpp>
int main(int argc, char** argv) {
  static_assert(REDES_VERSION_MAJOR == 0 && REDES_VERSION_MINOR == 2);
  auto m = redes::Model::build(redes::Task::regression, redes::Shape{3},
                               {redes::layer("linear", {{"units", 4}}), redes::layer("tanh"),
                                redes::layer("linear", {{"units", 1}})});
  redes::Tensor x(redes::Shape{5, 3}, 0.5f);
  redes::write_npy("x.npy", x.view());
  const redes::NpyArray a = redes::read_npy("x.npy");
  const redes::Tensor p = m.predict(redes::TensorView<const float>(a.floats.data(), a.shape));
  if (argc > 99) {
    redes::TrainOverrides o;
    redes::train_config(argv[1], o, *redes::make_console_progress());
    redes::write_png_grid(argv[2], {}, 1, 1, 1, 1);
  }
  std::printf("app: %s -> %s\n", a.shape.str().c_str(), p.shape().str().c_str());
}
CPP
# shellcheck disable=SC2046  # pkg-config's output is meant to be split into words
run "g++ app.cpp \$(pkg-config --cflags --libs redes)" \
  g++ -std=c++20 app/app.cpp -o app/app-pc $(pkg-config --cflags --libs redes)
(cd app && ./app-pc) >"$log" 2>&1 || fail "the pkg-config program failed: $(cat "$log")"
grep -qF 'app: (5, 3) -> (5, 1)' "$log" || fail "the pkg-config program printed: $(cat "$log")"
ldd app/app-pc | grep 'openblas-openmp/libopenblas' >/dev/null || fail "the pkg-config program does not load OpenBLAS's OpenMP build"

printf '%s\n' 'cmake_minimum_required(VERSION 3.20)' 'project(app LANGUAGES CXX)' \
  'find_package(redes 0.2 REQUIRED)' 'add_executable(app app.cpp)' \
  'target_link_libraries(app PRIVATE redes::redes)' >app/CMakeLists.txt
run "configure the one-file program with CMake" \
  cmake -S app -B app/build -DCMAKE_PREFIX_PATH="$prefix"
run "build the one-file program with CMake (no C++ standard set: redes::redes asks for C++20)" \
  cmake --build app/build
(cd app && build/app) >"$log" 2>&1 || fail "the CMake-built program failed: $(cat "$log")"
grep -qF 'app: (5, 3) -> (5, 1)' "$log" || fail "the CMake-built program printed: $(cat "$log")"

echo "package: ok: installed to a prefix; headers, find_package(redes 0.2), examples/cpp (train," \
  "classify) and pkg-config all work against it"
