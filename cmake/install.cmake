# What `cmake --install build --prefix P` installs, included from the root CMakeLists.txt:
#   P/bin/redes                       the command-line tool (installed beside its target)
#   P/lib/libredes.a                  the library
#   P/include/redes/*.hpp             the public headers (they include nothing from src/)
#   P/lib/cmake/redes/                find_package(redes 0.2) -> the imported target redes::redes
#   P/lib/pkgconfig/redes.pc          pkg-config --cflags --libs redes
# Both packages are relocatable: they find the prefix from their own location, so an install
# tree can be moved or copied as a whole.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The public headers use C++20 (concepts, <span>): a program that links redes::redes compiles
# with at least that, whatever its own default.
target_compile_features(redes INTERFACE cxx_std_20)

install(TARGETS redes EXPORT redesTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# (Not onnx.hpp: ONNX export is the CLI's, outside libredes.a; see CMakeLists.txt.)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/redes DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        PATTERN "onnx.hpp" EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/include/redes/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/redes)

# The CMake package. redesTargets.cmake defines redes::redes with the link interface of the
# root CMakeLists.txt's install side; redesConfig.cmake finds its dependencies first.
set(REDES_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/redes)
install(EXPORT redesTargets NAMESPACE redes:: FILE redesTargets.cmake
        DESTINATION ${REDES_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/redesConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/redesConfig.cmake
                              INSTALL_DESTINATION ${REDES_CMAKE_DIR})
# SameMinorVersion: before 1.0 a minor release may change the API (headers, Model, the model
# file's format), so find_package(redes 0.2) accepts 0.2.x only, never 0.3; patch releases
# only fix. At 1.0 this becomes SameMajorVersion.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/redesConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/redesConfig.cmake ${PROJECT_BINARY_DIR}/redesConfigVersion.cmake
        DESTINATION ${REDES_CMAKE_DIR})

# The pkg-config file: its prefix is found from its own folder (${pcfiledir}), which
# `--prefix` at install time cannot change, as it could not change a prefix written in now.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "redes.pc: CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_INCLUDEDIR must be "
                      "relative to the prefix (they are ${CMAKE_INSTALL_LIBDIR} and "
                      "${CMAKE_INSTALL_INCLUDEDIR})")
endif()
file(RELATIVE_PATH REDES_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" REDES_PC_TO_PREFIX "${REDES_PC_TO_PREFIX}")  # "../.."
get_filename_component(REDES_OPENBLAS_DIR ${OPENBLAS_LIB} DIRECTORY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/redes.pc.in ${PROJECT_BINARY_DIR}/redes.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/redes.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
