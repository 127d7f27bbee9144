#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lib/encoding/encoding.h"
#include "lib/metrics/counter.h"
#include "lib/metrics/family.h"
#include "lib/metrics/gauge.h"
#include "lib/metrics/histogram.h"
#include "lib/metrics/process_metrics.h"
#include "lib/metrics/registry.h"
#include "lib/metrics/text_format.h"

namespace p2pims::metrics {
namespace {

TEST(MetricsTest, SerializesCounterGaugeAndHistogramExactly) {
  Registry registry;
  auto& sessions =
      BuildGauge().Name("p2pims_test_sessions").Help("Open sessions.").Register(registry);
  auto& requests = BuildCounter()
                       .Name("p2pims_test_requests_total")
                       .Help("Requests handled.")
                       .Labels({{"service", "rights"}})
                       .Register(registry);
  auto& latency = BuildHistogram()
                      .Name("p2pims_test_latency_seconds")
                      .Help("Request latency.")
                      .Register(registry);
  requests.Add({{"method", "Revoke"}}).Increment();
  requests.Add({{"method", "Authorize"}}).Increment(2);
  requests.Add({{"method", "Authorize"}}).Increment();
  sessions.Add({}).Set(-2.5);
  Histogram& h = latency.Add({{"method", "Authorize"}}, Histogram::BucketBoundaries{0.25, 1, 2.5});
  h.Observe(0.25);
  h.Observe(0.5);
  h.Observe(4);

  EXPECT_EQ(registry.Serialize(),
            "# HELP p2pims_test_latency_seconds Request latency.\n"
            "# TYPE p2pims_test_latency_seconds histogram\n"
            "p2pims_test_latency_seconds_bucket{method=\"Authorize\",le=\"0.25\"} 1\n"
            "p2pims_test_latency_seconds_bucket{method=\"Authorize\",le=\"1\"} 2\n"
            "p2pims_test_latency_seconds_bucket{method=\"Authorize\",le=\"2.5\"} 2\n"
            "p2pims_test_latency_seconds_bucket{method=\"Authorize\",le=\"+Inf\"} 3\n"
            "p2pims_test_latency_seconds_sum{method=\"Authorize\"} 4.75\n"
            "p2pims_test_latency_seconds_count{method=\"Authorize\"} 3\n"
            "# HELP p2pims_test_requests_total Requests handled.\n"
            "# TYPE p2pims_test_requests_total counter\n"
            "p2pims_test_requests_total{method=\"Authorize\",service=\"rights\"} 3\n"
            "p2pims_test_requests_total{method=\"Revoke\",service=\"rights\"} 1\n"
            "# HELP p2pims_test_sessions Open sessions.\n"
            "# TYPE p2pims_test_sessions gauge\n"
            "p2pims_test_sessions -2.5\n");
}

TEST(MetricsTest, EscapesHelpAndLabelValues) {
  Registry registry;
  BuildCounter()
      .Name("p2pims_test_total")
      .Help("First line\nsecond \\ \"quoted\"")
      .Register(registry)
      .Add({{"path", "a\"b\\c\nd"}, {"raw", "bad\xff"}})
      .Increment();
  EXPECT_EQ(registry.Serialize(),
            "# HELP p2pims_test_total First line\\nsecond \\\\ \"quoted\"\n"
            "# TYPE p2pims_test_total counter\n"
            "p2pims_test_total{path=\"a\\\"b\\\\c\\nd\",raw=\"bad\xEF\xBF\xBD\"} 1\n");
}

TEST(MetricsTest, FormatsValuesSoPrometheusParsesThem) {
  EXPECT_EQ(detail::FormatValue(0), "0");
  EXPECT_EQ(detail::FormatValue(-0.0), "0");
  EXPECT_EQ(detail::FormatValue(123456789012), "123456789012");
  EXPECT_EQ(detail::FormatValue(-7), "-7");
  EXPECT_EQ(detail::FormatValue(0.1), "0.1");
  EXPECT_EQ(detail::FormatValue(0.0005), "0.0005");
  EXPECT_EQ(detail::FormatValue(1e20), "1e+20");
  EXPECT_EQ(detail::FormatValue(1.5e-7), "1.5e-07");
  EXPECT_EQ(detail::FormatValue(0.00001), "1e-05");
  EXPECT_EQ(detail::FormatValue(1234567.5), "1.2345675e+06");
  EXPECT_EQ(detail::FormatValue(-12.25), "-12.25");
  EXPECT_EQ(detail::FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(detail::FormatValue(-INFINITY), "-Inf");
  EXPECT_EQ(detail::FormatValue(NAN), "NaN");
  EXPECT_EQ(p2pims::SanitizeUtf8("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(
      p2pims::SanitizeUtf8("\xC0\xAF|\xED\xA0\x80|\xE2\x82"),
      "\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(MetricsTest, OrdersFamiliesAndChildrenStably) {
  Registry registry;
  auto& zeta = BuildGauge().Name("zeta").Help("z").Register(registry);
  auto& alpha = BuildCounter().Name("alpha_total").Help("a").Register(registry);
  BuildGauge().Name("mid").Help("m").Register(registry).Add({}).Set(1);
  zeta.Add({{"b", "2"}}).Set(1);
  zeta.Add({{"a", "9"}}).Set(1);
  zeta.Add({{"b", "1"}}).Set(1);
  alpha.Add({{"x", "y"}}).Increment();

  const std::string text = registry.Serialize();
  EXPECT_EQ(text, registry.Serialize());
  EXPECT_LT(text.find("alpha_total{"), text.find("mid 1"));
  EXPECT_LT(text.find("mid 1"), text.find("zeta{"));
  EXPECT_LT(text.find("zeta{a=\"9\"}"), text.find("zeta{b=\"1\"}"));
  EXPECT_LT(text.find("zeta{b=\"1\"}"), text.find("zeta{b=\"2\"}"));
}

TEST(MetricsTest, AddReturnsTheCachedChild) {
  Registry registry;
  auto& family = BuildCounter().Name("p2pims_test_total").Register(registry);
  Counter& a = family.Add({{"k", "a"}});
  EXPECT_EQ(&a, &family.Add({{"k", "a"}}));
  EXPECT_NE(&a, &family.Add({{"k", "b"}}));

  auto& histograms = BuildHistogram().Name("p2pims_test_seconds").Register(registry);
  Histogram& h = histograms.Add({}, Histogram::BucketBoundaries{1, 2});
  Histogram& again = histograms.Add({}, LatencyBuckets());  // buckets ignored: child exists
  EXPECT_EQ(&h, &again);
  EXPECT_EQ(again.boundaries(), (Histogram::BucketBoundaries{1, 2}));

  family.Remove(&a);
  EXPECT_FALSE(family.Has({{"k", "a"}}));
  EXPECT_TRUE(family.Has({{"k", "b"}}));
  EXPECT_EQ(registry.Serialize().find("k=\"a\""), std::string::npos);
}

TEST(MetricsTest, SameNameReturnsSameFamilyUnlessTypeDiffers) {
  Registry registry;
  auto& first = BuildCounter().Name("p2pims_test_total").Register(registry);
  auto& second = BuildCounter().Name("p2pims_test_total").Register(registry);
  EXPECT_EQ(&first, &second);
  EXPECT_THROW(BuildGauge().Name("p2pims_test_total").Register(registry), std::invalid_argument);
  EXPECT_THROW(BuildCounter().Name("p2pims_test_total").Labels({{"a", "b"}}).Register(registry),
               std::invalid_argument);
}

TEST(MetricsTest, InvalidNamesThrow) {
  Registry registry;
  for (const char* bad : {"", "1abc", "a-b", "__reserved", "a b", "é"}) {
    EXPECT_THROW(BuildCounter().Name(bad).Register(registry), std::invalid_argument) << bad;
  }
  EXPECT_NO_THROW(BuildCounter().Name("ns:sub_name_total").Register(registry));
  for (const char* bad : {"", "0a", "a:b", "__a", "a-b"}) {
    EXPECT_THROW(BuildCounter().Name("c1_total").Labels({{bad, "v"}}).Register(registry),
                 std::invalid_argument)
        << bad;
  }
  auto& family = BuildCounter().Name("c2_total").Labels({{"service", "x"}}).Register(registry);
  EXPECT_THROW(family.Add({{"a:b", "v"}}), std::invalid_argument);
  EXPECT_THROW(family.Add({{"service", "y"}}), std::invalid_argument);
  EXPECT_NO_THROW(family.Add({{"_ok9", "v"}}));

  auto& histogram = BuildHistogram().Name("h_seconds").Register(registry);
  EXPECT_THROW(histogram.Add({{"le", "1"}}, LatencyBuckets()), std::invalid_argument);
  EXPECT_THROW(BuildHistogram().Name("h2_seconds").Labels({{"le", "1"}}).Register(registry),
               std::invalid_argument);
  EXPECT_NO_THROW(BuildGauge().Name("g").Labels({{"le", "1"}}).Register(registry));
}

TEST(MetricsTest, BucketsMustBeStrictlyIncreasing) {
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, NAN}), std::invalid_argument);
  EXPECT_NO_THROW(Histogram({}));
  EXPECT_EQ(Histogram({1, INFINITY}).boundaries(), (Histogram::BucketBoundaries{1}));
  EXPECT_EQ(ExponentialBuckets(1, 2, 4), (Histogram::BucketBoundaries{1, 2, 4, 8}));
  EXPECT_EQ(LinearBuckets(1, 2, 3), (Histogram::BucketBoundaries{1, 3, 5}));
  EXPECT_THROW(ExponentialBuckets(0, 2, 4), std::invalid_argument);
  const auto latency = LatencyBuckets();
  EXPECT_EQ(latency.front(), 0.0005);
  EXPECT_EQ(latency.back(), 10);
  EXPECT_NO_THROW(Histogram{latency});
}

TEST(MetricsTest, HistogramCountsCumulatively) {
  Histogram h({1, 2});
  h.Observe(0.5);
  h.Observe(1);  // bounds are inclusive
  h.Observe(1.5);
  h.Observe(100);
  EXPECT_EQ(h.cumulative_counts(), (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.sum(), 103);
}

TEST(MetricsTest, CounterIgnoresNegativeAndGaugeMovesBothWays) {
  Counter c;
  c.Increment();
  c.Increment(-5);
  c.Increment(NAN);
  c.Increment(0.5);
  EXPECT_EQ(c.Value(), 1.5);
  Gauge g;
  g.Increment(3);
  g.Decrement();
  EXPECT_EQ(g.Value(), 2);
  g.Set(-1);
  EXPECT_EQ(g.Value(), -1);
}

TEST(MetricsTest, ConcurrentUpdatesSumExactly) {
  Registry registry;
  Counter& counter = BuildCounter().Name("c_total").Register(registry).Add({});
  Gauge& gauge = BuildGauge().Name("g").Register(registry).Add({});
  Histogram& histogram = BuildHistogram()
                             .Name("h_seconds")
                             .Register(registry)
                             .Add({}, Histogram::BucketBoundaries{1.0});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counter.Increment();
        gauge.Increment(2);
        gauge.Decrement();
        histogram.Observe(t % 2 == 0 ? 0.5 : 2.0);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.Value(), kThreads * kPerThread);
  EXPECT_EQ(gauge.Value(), kThreads * kPerThread);
  EXPECT_EQ(histogram.count(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(histogram.cumulative_counts()[0], uint64_t{kThreads / 2} * kPerThread);
  EXPECT_EQ(histogram.sum(), (kThreads / 2) * kPerThread * 2.5);
}

// Runs `promtool check metrics` on the registry's output (as prometheus-cpp's lint.sh does).
TEST(MetricsTest, PromtoolAcceptsTheExposition) {
  const char* promtool = "/usr/bin/promtool";
  if (access(promtool, X_OK) != 0) GTEST_SKIP() << "promtool not installed at " << promtool;

  Registry registry;
  auto& requests = BuildCounter()
                       .Name("p2pims_test_requests_total")
                       .Help("Requests handled, by method.")
                       .Labels({{"service", "rights"}})
                       .Register(registry);
  requests.Add({{"method", "Authorize"}}).Increment(3);
  requests.Add({{"method", "Quote\"d\\\n"}}).Increment();
  BuildGauge()
      .Name("p2pims_test_sessions")
      .Help("Sessions open.\nSecond line.")
      .Register(registry)
      .Add({})
      .Set(-2);
  auto& seconds = BuildHistogram()
                      .Name("p2pims_test_request_duration_seconds")
                      .Help("Time to answer a request.")
                      .Register(registry);
  Histogram& h = seconds.Add({{"method", "Authorize"}}, LatencyBuckets());
  for (double v : {0.0001, 0.003, 0.2, 7.0, 50.0}) h.Observe(v);
  BuildGauge()
      .Name("p2pims_test_odd_values")
      .Help("Special values.")
      .Register(registry)
      .Add({{"kind", "nan"}})
      .Set(NAN);

  std::string path = ::testing::TempDir() + "metrics_test_XXXXXX";
  const int fd = mkstemp(path.data());
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << registry.Serialize();

  const std::string command = std::string(promtool) + " check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[256];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  unlink(path.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_EQ(output, "") << registry.Serialize();
}

}  // namespace
}  // namespace p2pims::metrics

namespace p2pims::metrics {
namespace {

TEST(CollectHookTest, HooksRefreshGaugesBeforeEachScrape) {
  Registry registry;
  Gauge& g = BuildGauge().Name("p2pims_test_refreshed").Help("h").Register(registry).Add({});
  int runs = 0;
  registry.AddCollectHook([&] { g.Set(++runs * 10); });
  EXPECT_NE(registry.Serialize().find("p2pims_test_refreshed 10\n"), std::string::npos);
  EXPECT_NE(registry.Serialize().find("p2pims_test_refreshed 20\n"), std::string::npos);
}

TEST(ProcessMetricsTest, ReadsThisProcessFromProc) {
  Registry registry;
  AddProcessMetrics(registry);
  const std::vector<FamilySnapshot> families = registry.Collect();
  auto value = [&](const std::string& name) {
    for (const auto& f : families) {
      if (f.name == name && !f.samples.empty()) return f.samples[0].value;
    }
    return -1.0;
  };
  EXPECT_GT(value("process_resident_memory_bytes"), 1e5);
  EXPECT_GT(value("process_virtual_memory_bytes"), value("process_resident_memory_bytes"));
  EXPECT_GE(value("process_open_fds"), 3);  // at least stdin, stdout, stderr
  EXPECT_GT(value("process_max_fds"), value("process_open_fds"));
  EXPECT_GT(value("process_start_time_seconds"), 1.7e9);
  EXPECT_GE(value("process_cpu_seconds_total"), 0);
}

}  // namespace
}  // namespace p2pims::metrics
