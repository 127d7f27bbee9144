// A family is one metric name with one child per distinct label set, e.g.
// p2pims_grpc_server_handled_total{method,code}. Families come from the builders
// (BuildCounter() etc.) and live as long as their Registry.
//
//   Family<Counter>& handled = BuildCounter().Name("p2pims_x_total").Help("...").Register(reg);
//   Counter& ok = handled.Add({{"code", "OK"}});   // cache this reference on hot paths
//   ok.Increment();
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "lib/metrics/metric.h"

namespace p2pims::metrics {
namespace detail {

// The type-independent part of Family<T>: name, help, constant labels and the label checks.
class FamilyBase {
 public:
  // Throws std::invalid_argument on an invalid metric name or constant label name.
  FamilyBase(std::string name, std::string help, Labels constant_labels, MetricType type);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const Labels& constant_labels() const { return constant_labels_; }
  MetricType type() const { return type_; }

  // The current samples of every child, children in label order.
  virtual FamilySnapshot Collect() const = 0;

 protected:
  // Throws std::invalid_argument when a label name is invalid or repeats a constant label.
  void CheckChildLabels(const Labels& labels) const;
  // The constant labels merged with a child's, in name order, as exposed.
  std::vector<std::pair<std::string, std::string>> MergedLabels(const Labels& labels) const;
  FamilySnapshot EmptySnapshot() const;

 private:
  std::string name_;
  std::string help_;
  Labels constant_labels_;
  MetricType type_;
};
// Thread-safe: everything here is immutable after construction.

}  // namespace detail

template <typename T>
class Family : public detail::FamilyBase {
 public:
  Family(std::string name, std::string help, Labels constant_labels)
      : FamilyBase(std::move(name), std::move(help), std::move(constant_labels), T::kType) {}

  // Returns the child for `labels`, creating it from `args` (e.g. histogram buckets) the first
  // time; later calls with equal labels return the same object and ignore `args`. Throws
  // std::invalid_argument on an invalid label name or when T's constructor rejects `args`.
  template <typename... Args>
  T& Add(const Labels& labels, Args&&... args) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = children_.find(labels);
    if (it != children_.end()) return *it->second;
    CheckChildLabels(labels);
    auto child = std::make_unique<T>(std::forward<Args>(args)...);
    T& result = *child;
    children_.emplace(labels, std::move(child));
    return result;
  }

  // Deletes `child` (a reference returned by Add); its series disappears from the next scrape.
  // References to it become dangling. Unknown pointers are ignored.
  void Remove(T* child) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = children_.begin(); it != children_.end(); ++it) {
      if (it->second.get() == child) {
        children_.erase(it);
        return;
      }
    }
  }

  // True when a child with exactly these labels exists.
  bool Has(const Labels& labels) const {
    std::lock_guard<std::mutex> lock(mu_);
    return children_.count(labels) > 0;
  }

  FamilySnapshot Collect() const override {
    FamilySnapshot snapshot = EmptySnapshot();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [labels, child] : children_) {
      AppendSamples(*child, MergedLabels(labels), snapshot.samples);
    }
    return snapshot;
  }

 private:
  mutable std::mutex mu_;
  std::map<Labels, std::unique_ptr<T>> children_;  // guarded by mu_
};
// Thread-safe: Add, Remove, Has and Collect take an internal mutex; the children they return
// are themselves thread-safe.

}  // namespace p2pims::metrics
