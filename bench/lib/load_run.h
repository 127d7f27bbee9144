// What the gRPC load generators share: the channel, spreading calls in flight over threads, a
// measured window, and latency percentiles. Each generator keeps its own Tally (what it counts) and Drive (one
// thread's completion-queue loop).
//
//   auto tallies = bench::RunThreads<Tally>(threads, inflight, [&](int t, int share, Tally* out) {
//     Drive(stub.get(), share, t, measure_from, stop, out);
//   });
#pragma once

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace p2pims::bench {

using Clock = std::chrono::steady_clock;

// What every generator counts besides its own figures; its Tally derives from it.
struct Outcomes {
  int64_t errors = 0;  // failed calls
  std::string first_error;
  std::vector<uint32_t> latency_us;  // of calls completed inside the measured window

  void Error(const std::string& message) {
    ++errors;
    if (first_error.empty()) first_error = message;
  }
  // Adds another thread's outcomes to these.
  void Merge(const Outcomes& other) {
    errors += other.errors;
    if (first_error.empty()) first_error = other.first_error;
    latency_us.insert(latency_us.end(), other.latency_us.begin(), other.latency_us.end());
  }
};

// Runs `drive(thread_no, calls_in_flight_for_it, &tally)` on `threads` threads, `inflight` calls
// spread over them as evenly as possible; returns one tally per thread.
template <typename Tally, typename Drive>
std::vector<Tally> RunThreads(int threads, int inflight, Drive drive) {
  std::vector<Tally> tallies(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    const int share = inflight / threads + (t < inflight % threads ? 1 : 0);
    workers.emplace_back([&drive, &tallies, t, share] { drive(t, share, &tallies[t]); });
  }
  for (auto& w : workers) w.join();
  return tallies;
}

// A channel to `target` that has connected within 10 s, or null after saying so on stderr.
inline std::shared_ptr<grpc::Channel> Connect(const std::string& target,
                                              const grpc::ChannelArguments& args = {}) {
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  if (channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    return channel;
  }
  std::cerr << "error: cannot connect to " << target << "\n";
  return nullptr;
}

// The p-quantile (0..1) of latencies in microseconds, in milliseconds; reorders `latency_us`.
inline double PercentileMs(std::vector<uint32_t>& latency_us, double p) {
  if (latency_us.empty()) return 0;
  const size_t i = std::min(latency_us.size() - 1,
                            static_cast<size_t>(p * static_cast<double>(latency_us.size())));
  std::nth_element(latency_us.begin(), latency_us.begin() + static_cast<std::ptrdiff_t>(i),
                   latency_us.end());
  return latency_us[i] / 1000.0;
}

}  // namespace p2pims::bench
