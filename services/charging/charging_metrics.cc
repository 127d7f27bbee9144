#include "services/charging/charging_metrics.h"

#include <pqxx/pqxx>

#include "lib/metrics/family.h"

namespace p2pims::charging {

ChargingMetrics::ChargingMetrics(metrics::Registry& registry, pg::Pool& pool,
                                 const Engine* engine)
    : registry_(registry),
      requests_(metrics::BuildCounter()
                    .Name("p2pims_charging_requests_total")
                    .Help("Credit-control and accounting requests, by type and result.")
                    .Register(registry)),
      balance_exhausted_(metrics::BuildCounter()
                             .Name("p2pims_charging_balance_exhausted_total")
                             .Help("Answers that ran out of credit: 4012, or a final-unit "
                                   "indication because the balance covers only this grant.")
                             .Register(registry)
                             .Add({})),
      cdrs_written_(metrics::BuildCounter()
                        .Name("p2pims_charging_cdrs_written_total")
                        .Help("Answers that closed a session or event into a CDR (TERMINATION, EVENT, "
                              "accounting STOP/EVENT), retransmitted answers included.")
                        .Register(registry)
                        .Add({})) {
  auto& open = metrics::BuildGauge()
                   .Name("p2pims_charging_reservations_open")
                   .Help("Credit-control sessions holding a reservation.")
                   .Register(registry)
                   .Add({});
  auto& reserved = metrics::BuildGauge()
                       .Name("p2pims_charging_reserved_minor")
                       .Help("Money held by open reservations, in minor units (all currencies).")
                       .Register(registry)
                       .Add({});
  auto& lag = metrics::BuildGauge()
                  .Name("p2pims_charging_consumer_lag_cdrs")
                  .Help("CDRs written but not yet acknowledged, per billing consumer.")
                  .Register(registry);
  auto& over_claim = metrics::BuildGauge()
                         .Name("p2pims_charging_over_claim_ratio")
                         .Help("Share of uploads claimed this hour that the swarms' downloaders "
                               "had not reported receiving (not credited).")
                         .Register(registry)
                         .Add({});
  for (int type : {v1::REQUEST_TYPE_INITIAL, v1::REQUEST_TYPE_UPDATE,
                   v1::REQUEST_TYPE_TERMINATION, v1::REQUEST_TYPE_EVENT}) {
    const auto* codes = v1::ResultCode_descriptor();
    for (int i = 0; i < codes->value_count(); ++i) {
      const int code = codes->value(i)->number();
      if (code == v1::RESULT_CODE_UNSPECIFIED) continue;
      cc_requests_[{type, code}] =
          &requests_.Add({{"type", v1::RequestType_Name(static_cast<v1::RequestType>(type))},
                          {"result", codes->value(i)->name()}});
    }
  }
  auto& writer = metrics::BuildGauge()
                     .Name("p2pims_charging_writer")
                     .Help("1 while this replica is the writing one, 0 while it is standby.")
                     .Register(registry)
                     .Add({});
  auto& committed = metrics::BuildGauge()
                        .Name("p2pims_charging_batches_committed")
                        .Help("Engine batches committed since start (each holds many requests).")
                        .Register(registry)
                        .Add({});
  registry.AddCollectHook([engine, &writer, &committed, &open, &reserved] {
    if (engine == nullptr) return;
    writer.Set(engine->leader() ? 1 : 0);
    committed.Set(static_cast<double>(engine->batches()));
    open.Set(static_cast<double>(engine->open_reservations()));
    reserved.Set(static_cast<double>(engine->reserved_total()));
  });
  registry.AddCollectHook([&pool, &lag, &over_claim] {
    (void)pool.WithReadOnly([&](pqxx::nontransaction& tx) {
      for (const auto& c : tx.exec(
               "SELECT consumer, (SELECT last_sequence FROM charging.cdr_counter) - acked_sequence"
               " FROM charging.billing_cursor")) {
        lag.Add({{"consumer", c[0].as<std::string>()}}).Set(c[1].as<double>());
      }
      pqxx::row o = tx.exec1(
          "SELECT coalesce(sum(bytes_up_over_claimed), 0),"
          " coalesce(sum(bytes_up_credited + bytes_up_over_claimed), 0)"
          " FROM charging.incentive_pool WHERE period_start = date_trunc('hour', now())");
      const double claimed = o[1].as<double>();
      over_claim.Set(claimed > 0 ? o[0].as<double>() / claimed : 0);
      return absl::OkStatus();
    });
  });
}

void ChargingMetrics::CreditControl(const v1::CreditControlRequest& req,
                                    const v1::CreditControlAnswer& answer) {
  auto known = cc_requests_.find({req.request_type(), answer.result_code()});
  if (known != cc_requests_.end()) {
    known->second->Increment();
  } else {
    Count(v1::RequestType_Name(req.request_type()), v1::ResultCode_Name(answer.result_code()));
  }
  if (answer.result_code() == v1::RESULT_CODE_CREDIT_LIMIT_REACHED ||
      answer.final_unit_action() == v1::FINAL_UNIT_ACTION_TERMINATE) {
    balance_exhausted_.Increment();
  }
  if (answer.cdr_sequence() != 0 &&
      (req.request_type() == v1::REQUEST_TYPE_TERMINATION ||
       req.request_type() == v1::REQUEST_TYPE_EVENT)) {
    cdrs_written_.Increment();
  }
}

void ChargingMetrics::Count(const std::string& type, const std::string& result) {
  requests_.Add({{"type", type}, {"result", result}}).Increment();
}

}  // namespace p2pims::charging
