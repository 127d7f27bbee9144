// The set of metric families a process exposes, and their Prometheus text exposition (format
// 0.0.4) for GET /metrics. Families are added through the builders (counter.h, gauge.h,
// histogram.h), never directly.
//
//   metrics::Registry registry;
//   auto& requests = metrics::BuildCounter().Name("p2pims_rights_requests_total")
//                        .Help("Requests handled.").Register(registry);
//   requests.Add({{"method", "Authorize"}}).Increment();
//   std::string body = registry.Serialize();   // served with kContentType
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lib/metrics/family.h"
#include "lib/metrics/metric.h"

namespace p2pims::metrics {

// The Content-Type of Serialize()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Every family's samples, families in name order and children in label order. Runs the
  // collect hooks first.
  std::vector<FamilySnapshot> Collect() const;

  // Adds a function run at the start of every Collect(), to refresh gauges whose value lives
  // elsewhere (process memory, a pool's size). Hooks may register and update metrics; they must
  // not call Collect() or Serialize().
  void AddCollectHook(std::function<void()> hook);
  // Collect() in the Prometheus text format. Families without children are left out.
  std::string Serialize() const;

  // Returns the family called `name`, creating it on first use. Registering a name again with
  // the same type and constant labels returns the existing family (its first help text stays);
  // a different type or different constant labels throws std::invalid_argument, as do invalid
  // names. Used by detail::Builder::Register.
  template <typename T>
  Family<T>& Add(const std::string& name, const std::string& help, const Labels& constant_labels) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = families_.find(name);
    if (it == families_.end()) {
      auto family = std::make_unique<Family<T>>(name, help, constant_labels);
      it = families_.emplace(name, std::move(family)).first;
    } else if (it->second->type() != T::kType) {
      throw std::invalid_argument("metric " + name + " is already registered as a " +
                                  std::string(TypeName(it->second->type())));
    } else if (it->second->constant_labels() != constant_labels) {
      throw std::invalid_argument("metric " + name +
                                  " is already registered with other constant labels");
    }
    return static_cast<Family<T>&>(*it->second);
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<detail::FamilyBase>> families_;  // guarded by mu_
  mutable std::mutex hooks_mu_;
  std::vector<std::function<void()>> hooks_;  // guarded by hooks_mu_
};
// Thread-safe: families may be registered while another thread serialises.

}  // namespace p2pims::metrics
