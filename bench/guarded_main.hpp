#pragma once
// A benchmark's main: an error (no GPU for --device gpu, bad arguments) is printed with exit
// status 2 instead of an uncaught exception.
#include <cstdio>
#include <exception>

namespace twinsim::bench_support {

inline int guarded_main(int (*body)(int, char**), int argc, char** argv) {
  try {
    return body(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}

}  // namespace twinsim::bench_support
