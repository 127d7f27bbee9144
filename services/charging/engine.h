// The charging engine: one thread that owns accounts and sessions in memory and applies every
// request that changes money (credit control, accounting, account creation and adjustment, the
// sweeper) in batches. A batch is loaded (what memory lacks, in one query per table), applied in
// arrival order, written in one transaction (write_set.h) and only then answered, so every
// answer and every CDR a caller sees is committed, while a thousand requests cost one commit.
// A second thread commits batch k while the engine loads and applies batch k+1; k+1 is written
// only after k committed, and fails with it.
//
// Memory is the truth only because exactly one replica writes: the engine holds a
// session-level advisory lock on its own connection, and commits only through that connection.
// Another replica stays standby (requests get Unavailable) until the lock is free. When a batch
// fails, or the connection (and with it the lock) is lost, whatever memory holds is dropped and
// reloaded from PostgreSQL, and the batch's callers get Unavailable: their retries are safe,
// because (session, request number) makes every request idempotent.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/pg/pool.h"
#include "lib/pg/session.h"
#include "p2pims/charging/v1/charging.pb.h"
#include "services/charging/engine_state.h"
#include "services/charging/tariff_book.h"
#include "services/charging/write_set.h"

namespace p2pims::charging {

struct ChargingOptions {
  // Usage a session reports beyond this rate since it opened is refused as unexplainable.
  int64_t max_bytes_per_second = 1'250'000'000;  // 10 Gbit/s
  // A session whose accounting sent nothing for this long is closed by the sweeper.
  absl::Duration accounting_timeout = absl::Hours(6);
  // Most requests applied and committed together.
  int max_batch = 2048;
  // Closed sessions stay in memory this long for retransmissions; a later one costs its batch
  // one failed attempt (the session is read again). Sessions that were one accounting EVENT,
  // an ingest's bulk, stay for event_retention.
  absl::Duration closed_retention = absl::Minutes(1);
  absl::Duration event_retention = absl::Seconds(10);
  // The engine's clock; tests move it.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

// One request to the engine. The caller owns it (and what it points to) until `done` has run;
// `done` runs on the engine thread once the outcome is final, and must be quick.
struct EngineJob {
  enum class Kind { kCreditControl, kAccounting, kCreateAccount, kAdjust, kGetAccount, kSweep };
  Kind kind = Kind::kCreditControl;
  const v1::CreditControlRequest* cc = nullptr;
  v1::CreditControlAnswer* cc_answer = nullptr;
  const v1::AccountingRequest* acct = nullptr;
  v1::AccountingAnswer* acct_answer = nullptr;
  const v1::Account* new_account = nullptr;     // kCreateAccount
  const v1::AdjustBalanceRequest* adjust = nullptr;  // kAdjust
  std::string actor;                                  // kCreateAccount
  std::string subject;                                // kGetAccount
  v1::Account* account = nullptr;  // kCreateAccount, kAdjust, kGetAccount: the result
  int sweep_limit = 0;                                // kSweep
  int swept = 0;
  absl::Status status;
  std::function<void(EngineJob&)> done;
  EngineJob* next = nullptr;  // the inbox's link
};

// Thread-safe: Submit from any thread.
class Engine {
 public:
  Engine(pg::Pool& pool, ChargingOptions options);
  ~Engine();  // stops the thread; jobs still queued get Unavailable

  static std::vector<std::pair<std::string, std::string>> Statements();

  void Submit(EngineJob* job);
  // True while this replica holds the writer's lock.
  bool leader() const { return leader_.load(std::memory_order_relaxed); }
  // Forgets the tariff versions (after one was stored).
  void InvalidateTariffs() { tariffs_.Invalidate(); }
  // For metrics: batches committed so far; open credit-control sessions holding a reservation,
  // and the money they hold (as applied, a batch ahead of the commit at most).
  int64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  int64_t open_reservations() const { return open_reservations_.load(std::memory_order_relaxed); }
  int64_t reserved_total() const { return reserved_total_.load(std::memory_order_relaxed); }

 private:
  void Run();
  // Takes everything queued, oldest first, waiting up to `wait` when there is nothing.
  std::vector<EngineJob*> Take(absl::Duration wait);
  void Process(std::vector<EngineJob*>& jobs);
  // While the batch before is being committed, applies the requests that arrive meanwhile to
  // this one too (group commit); those it cannot take yet wait in deferred_.
  void Extend(std::vector<EngineJob*>& jobs, WriteSet& ws);
  // Hands a sealed batch to the committer thread, which answers its jobs after the commit.
  void Launch(WriteSet ws, std::vector<EngineJob*> jobs);
  // Waits until no batch is being committed; false when the last one failed (memory has been
  // forgotten then).
  bool Reap();
  void Commit();  // the committer thread
  // Takes the writer's lock when this replica lacks it; on success memory starts empty.
  absl::Status EnsureLeader();
  // Loads what the jobs need and memory lacks.
  absl::Status Load(const std::vector<EngineJob*>& jobs);
  absl::Status LoadSessions(pqxx::nontransaction& tx, const std::vector<std::string>& ids);
  absl::Status LoadAccounts(pqxx::nontransaction& tx, const std::vector<std::string>& subjects);
  absl::Status LoadPools(pqxx::nontransaction& tx, const std::vector<std::string>& contents,
                         int64_t period_start_s);
  absl::Status LoadKeys(pqxx::nontransaction& tx, const std::vector<std::string>& keys);
  // Every session still open, so that the sweeper finds it.
  absl::Status LoadOpenSessions(pqxx::nontransaction& tx);
  // After a failed batch or a lost lock: memory is no longer known to match the database.
  void Forget();
  void Apply(EngineJob& job, WriteSet& ws);
  int64_t NowMs() const { return absl::ToUnixMillis(options_.clock()); }

  // credit_control.cc
  void CreditControl(EngineJob& job, WriteSet& ws);
  v1::CreditControlAnswer Initial(const v1::CreditControlRequest& req, SessionEntry& s,
                                  AccountEntry* account, WriteSet& ws);
  absl::StatusOr<v1::CreditControlAnswer> Update(const v1::CreditControlRequest& req,
                                                 SessionEntry& s, AccountEntry* account,
                                                 WriteSet& ws);
  absl::StatusOr<v1::CreditControlAnswer> Terminate(const v1::CreditControlRequest& req,
                                                    SessionEntry& s, AccountEntry* account,
                                                    WriteSet& ws);
  v1::CreditControlAnswer Event(const v1::CreditControlRequest& req, SessionEntry& s,
                                AccountEntry* account, WriteSet& ws);
  absl::Status RecordUsage(const v1::CreditControlRequest& req, SessionEntry& s, WriteSet& ws);
  // Charges what the session used (as far as the balance allows), releases its reservation and
  // writes its CDR. Returns the charge; `note` says when it was capped.
  int64_t Settle(SessionEntry& s, const std::string& cause, bool incomplete, std::string* note,
                 WriteSet& ws);
  // accounting.cc
  void Accounting(EngineJob& job, WriteSet& ws);
  // Stores one record of `session` (not seen before, session not closed); a STOP or EVENT
  // closes it into its CDR. Returns the CDR's sequence, or 0.
  absl::StatusOr<int64_t> Record(const v1::AccountingRequest& req, const char* type,
                                 bool incomplete, SessionEntry& session, WriteSet& ws);
  // store.cc
  void CreateAccount(EngineJob& job, WriteSet& ws);
  void Adjust(EngineJob& job, WriteSet& ws);
  void GetAccount(EngineJob& job);
  // Changes what `subject`'s open sessions hold (and its account's view of it, when loaded).
  void Reserve(const std::string& subject, AccountEntry* account, int64_t delta);
  // sweeper.cc
  void Sweep(EngineJob& job, WriteSet& ws);
  void Evict();

  SessionEntry* FindSession(const std::string& id);
  AccountEntry* FindAccount(const std::string& subject);
  PoolEntry* PoolFor(const std::string& content_id, int64_t period_start_s);
  // Writes the downloads pools collected since the last flush. They are written about once a
  // second, not with every report: losing them in a crash only narrows what uploads may earn.
  void FlushPools(WriteSet& ws);

  pg::Pool& pool_;
  const ChargingOptions options_;
  TariffBook tariffs_;
  pg::Session session_;  // the writer's: holds the lock, commits (committer thread)
  pg::Session reader_;   // loads (engine thread)

  // The inbox: a lock-free stack of jobs, taken whole by the engine thread.
  std::atomic<EngineJob*> inbox_{nullptr};
  std::mutex wake_mu_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};

  std::atomic<bool> leader_{false};
  absl::Time next_leader_try_ = absl::InfinitePast();
  std::atomic<int64_t> batches_{0};
  std::atomic<int64_t> open_reservations_{0};
  std::atomic<int64_t> reserved_total_{0};

  // Engine thread only.
  std::vector<EngineJob*> deferred_;  // taken by Extend for the next batch
  int64_t last_sequence_ = 0;  // last CDR number committed
  absl::flat_hash_map<std::string, std::unique_ptr<SessionEntry>> sessions_;
  absl::flat_hash_map<std::string, std::unique_ptr<AccountEntry>> accounts_;
  absl::flat_hash_map<std::string, std::unique_ptr<PoolEntry>> pools_;
  // Reservations live in the sessions (every open one is in memory): per subject, their sum,
  // which is what a loaded account holds reserved.
  absl::flat_hash_map<std::string, int64_t> reserved_by_subject_;
  absl::flat_hash_set<std::string> idempotency_keys_;  // the batch's adjustments' keys taken
  bool need_counter_ = true;    // last_sequence_ must be read again
  bool need_open_scan_ = true;  // open sessions must be loaded again (for the sweeper)
  bool verify_new_ = false;     // the next batch reads even the sessions it takes to be new
  absl::Time next_evict_ = absl::InfinitePast();
  absl::Time next_pool_flush_ = absl::InfinitePast();

  // The committer's one slot.
  struct Batch {
    WriteSet ws;
    std::vector<EngineJob*> jobs;
  };
  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::unique_ptr<Batch> to_commit_;  // guarded by commit_mu_
  bool committing_ = false;           // guarded by commit_mu_
  absl::Status last_commit_;          // guarded by commit_mu_
  bool writer_open_ = true;           // guarded by commit_mu_: session_ still open after it

  std::thread committer_;
  std::thread thread_;
};

}  // namespace p2pims::charging
