// The random source of peer sampling: SplitMix64, a few multiplications per draw, where
// std::mt19937_64 regenerates a 2.5 KB state every 312 draws. Sampling peers needs speed and an
// even spread, not cryptographic strength (who gets which peers is not a secret).
//
//   Rng rng(42);                                       // seeded: tests are deterministic
//   std::uniform_int_distribution<size_t> pick(0, 9);
//   size_t i = pick(rng);
#pragma once

#include <cstdint>
#include <limits>

namespace p2pims::tracker {

class Rng {
 public:
  using result_type = uint64_t;

  explicit Rng(uint64_t seed = 0) : state_(seed) {}
  void seed(uint64_t seed) { state_ = seed; }

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  result_type operator()() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace p2pims::tracker
