// Histogram: counts observations (usually durations in seconds or sizes in bytes) into
// cumulative buckets `le` = upper bound, plus their `_sum` and `_count`. A `+Inf` bucket is added
// to the boundaries given.
//
//   auto& seconds = BuildHistogram().Name("p2pims_rights_authorize_seconds")
//                       .Help("Authorize latency.").Register(registry);
//   Histogram& h = seconds.Add({}, LatencyBuckets());   // buckets used on first Add only
//   h.Observe(0.0042);
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/metrics/builder.h"
#include "lib/metrics/metric.h"

namespace p2pims::metrics {

class Histogram {
 public:
  static constexpr MetricType kType = MetricType::kHistogram;
  using BucketBoundaries = std::vector<double>;

  // `boundaries` are the finite upper bounds, strictly increasing (else std::invalid_argument).
  // A trailing +Inf is accepted and ignored since it is always added.
  explicit Histogram(BucketBoundaries boundaries);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts `v` in the first bucket whose bound is >= v (NaN only in +Inf) and adds it to the sum.
  void Observe(double v);

  // The finite bucket bounds, without +Inf.
  const BucketBoundaries& boundaries() const { return boundaries_; }
  // Observations so far per bucket, cumulative, one more entry than boundaries() (+Inf last).
  std::vector<uint64_t> cumulative_counts() const;
  uint64_t count() const;
  double sum() const;

 private:
  BucketBoundaries boundaries_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; +Inf last
  std::atomic<double> sum_{0.0};
};
// Thread-safe; Observe is lock-free. A scrape racing with Observe may see a sum that lags the
// counts by that observation, but `_count` always equals the `+Inf` bucket.

// `count` bounds: start, start*factor, start*factor^2, ... (start > 0, factor > 1, count >= 1,
// else std::invalid_argument).
Histogram::BucketBoundaries ExponentialBuckets(double start, double factor, int count);
// `count` bounds: start, start+width, ... (width > 0, count >= 1, else std::invalid_argument).
Histogram::BucketBoundaries LinearBuckets(double start, double width, int count);
// Seconds from 0.5 ms to 10 s in 1-2.5-5 steps: suits RPC, database and SIP transaction
// latency.
Histogram::BucketBoundaries LatencyBuckets();

// The histogram's samples (`_bucket` per bound then +Inf, `_sum`, `_count`), for
// Family<Histogram>::Collect.
void AppendSamples(const Histogram& histogram,
                   std::vector<std::pair<std::string, std::string>> labels,
                   std::vector<Sample>& out);

detail::Builder<Histogram> BuildHistogram();

}  // namespace p2pims::metrics
