#include "lib/grpc/metrics_interceptor.h"

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <unordered_map>

#include "lib/metrics/counter.h"
#include "lib/metrics/family.h"
#include "lib/metrics/histogram.h"

namespace p2pims {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr const char* kCodeNames[] = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

struct Families {
  metrics::Family<metrics::Counter>& handled;
  metrics::Family<metrics::Histogram>& seconds;
  uint64_t id;  // tells factories apart in the per-thread cache, even at a reused address
};

// One method's children, found through a per-thread cache so a call takes no lock once its
// method and code have been seen on that thread.
struct MethodChildren {
  metrics::Histogram* seconds = nullptr;
  std::array<metrics::Counter*, 17> handled{};
};

MethodChildren& ChildrenFor(Families& families, const std::string& method) {
  thread_local std::unordered_map<uint64_t, std::unordered_map<std::string, MethodChildren>> cache;
  MethodChildren& c = cache[families.id][method];
  if (c.seconds == nullptr) {
    c.seconds = &families.seconds.Add({{"method", method}}, metrics::LatencyBuckets());
  }
  return c;
}

std::atomic<uint64_t> g_next_factory_id{1};

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(Families& families, std::string method)
      : families_(families), method_(std::move(method)), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      int code = methods->GetSendStatus().error_code();
      if (code < 0 || code > 16) code = 2;  // UNKNOWN
      MethodChildren& children = ChildrenFor(families_, method_);
      if (children.handled[code] == nullptr) {
        children.handled[code] =
            &families_.handled.Add({{"method", method_}, {"code", kCodeNames[code]}});
      }
      children.handled[code]->Increment();
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
      children.seconds->Observe(took.count());
    }
    methods->Proceed();
  }

 private:
  Families& families_;
  std::string method_;
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(metrics::Registry& registry)
      : families_{metrics::BuildCounter()
                      .Name("p2pims_grpc_server_handled_total")
                      .Help("gRPC calls completed by the server, by method and status code.")
                      .Register(registry),
                  metrics::BuildHistogram()
                      .Name("p2pims_grpc_server_handling_seconds")
                      .Help("Time from a gRPC call's arrival to its status, by method.")
                      .Register(registry),
                  g_next_factory_id.fetch_add(1)} {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(families_, info->method());
  }

 private:
  Families families_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(metrics::Registry& registry) {
  return std::make_unique<MetricsInterceptorFactory>(registry);
}

}  // namespace p2pims
