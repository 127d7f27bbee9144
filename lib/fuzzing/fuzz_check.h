// FUZZ_CHECK(cond): an invariant of a fuzz target. A failure prints where and aborts, which
// libFuzzer reports as a crash (and saves the input) and which fails the corpus replay test.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
