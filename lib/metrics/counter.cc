#include "lib/metrics/counter.h"

#include <utility>

namespace p2pims::metrics {

namespace {

// This thread's stripe, assigned round-robin as threads first count.
int StripeOfThisThread(int stripes) {
  static std::atomic<unsigned> next{0};
  thread_local const int stripe =
      static_cast<int>(next.fetch_add(1, std::memory_order_relaxed) % static_cast<unsigned>(stripes));
  return stripe;
}

}  // namespace

void Counter::Increment(double v) {
  if (!(v >= 0)) return;  // also rejects NaN
  detail::AtomicAdd(stripes_[StripeOfThisThread(kStripes)].value, v);
}

double Counter::Value() const {
  double sum = 0;
  for (const Stripe& s : stripes_) sum += s.value.load(std::memory_order_relaxed);
  return sum;
}

void AppendSamples(const Counter& counter, std::vector<std::pair<std::string, std::string>> labels,
                   std::vector<Sample>& out) {
  out.push_back(Sample{"", std::move(labels), counter.Value()});
}

detail::Builder<Counter> BuildCounter() { return {}; }

}  // namespace p2pims::metrics
