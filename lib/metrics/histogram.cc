#include "lib/metrics/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "lib/metrics/text_format.h"

namespace p2pims::metrics {

Histogram::Histogram(BucketBoundaries boundaries) : boundaries_(std::move(boundaries)) {
  if (!boundaries_.empty() && boundaries_.back() == INFINITY) boundaries_.pop_back();
  for (size_t i = 0; i < boundaries_.size(); ++i) {
    if (std::isnan(boundaries_[i]) || (i > 0 && !(boundaries_[i - 1] < boundaries_[i]))) {
      throw std::invalid_argument("histogram bucket boundaries must be strictly increasing");
    }
  }
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(boundaries_.size() + 1);
}

void Histogram::Observe(double v) {
  const size_t bucket =
      std::isnan(v)
          ? boundaries_.size()
          : std::lower_bound(boundaries_.begin(), boundaries_.end(), v) - boundaries_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  detail::AtomicAdd(sum_, v);
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> cumulative(boundaries_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i < cumulative.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    cumulative[i] = total;
  }
  return cumulative;
}

uint64_t Histogram::count() const { return cumulative_counts().back(); }

double Histogram::sum() const { return sum_.load(std::memory_order_relaxed); }

Histogram::BucketBoundaries ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    throw std::invalid_argument("ExponentialBuckets needs start > 0, factor > 1, count >= 1");
  }
  Histogram::BucketBoundaries bounds;
  bounds.reserve(count);
  for (double bound = start; count-- > 0; bound *= factor) bounds.push_back(bound);
  return bounds;
}

Histogram::BucketBoundaries LinearBuckets(double start, double width, int count) {
  if (!(width > 0) || count < 1) {
    throw std::invalid_argument("LinearBuckets needs width > 0, count >= 1");
  }
  Histogram::BucketBoundaries bounds;
  bounds.reserve(count);
  for (int i = 0; i < count; ++i) bounds.push_back(start + i * width);
  return bounds;
}

Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void AppendSamples(const Histogram& histogram,
                   std::vector<std::pair<std::string, std::string>> labels,
                   std::vector<Sample>& out) {
  // Read the counts once so that every bucket, and _count, come from the same snapshot.
  const std::vector<uint64_t> cumulative = histogram.cumulative_counts();
  const auto& bounds = histogram.boundaries();
  for (size_t i = 0; i < cumulative.size(); ++i) {
    auto bucket_labels = labels;
    bucket_labels.emplace_back("le", i < bounds.size() ? detail::FormatValue(bounds[i]) : "+Inf");
    out.push_back(Sample{"_bucket", std::move(bucket_labels), static_cast<double>(cumulative[i])});
  }
  out.push_back(Sample{"_sum", labels, histogram.sum()});
  out.push_back(Sample{"_count", std::move(labels), static_cast<double>(cumulative.back())});
}

detail::Builder<Histogram> BuildHistogram() { return {}; }

}  // namespace p2pims::metrics
