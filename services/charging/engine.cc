#include "services/charging/engine.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/log/log.h"
#include "lib/pg/array.h"

namespace p2pims::charging {
namespace {

// pg_try_advisory_lock key of the one writing replica ("p2pi" "chrg").
constexpr int64_t kWriterLock = 0x70327069'63687267;
// How often the downloads reported to incentive pools are written (uploads are at once).
constexpr absl::Duration kPoolFlushInterval = absl::Seconds(1);
// How often closed sessions, idle accounts and past pools leave memory.
constexpr absl::Duration kEvictInterval = absl::Seconds(10);
// Keys per load statement.
constexpr size_t kLoadChunk = 10'000;

constexpr char kAccountColumns[] =
    "subject, kind, currency, balance_minor, credit_limit_minor, incentive_minor";

int64_t HourOf(int64_t ms) { return ms / 1000 / 3600 * 3600; }

void Fail(const std::vector<EngineJob*>& jobs, const absl::Status& status) {
  for (EngineJob* job : jobs) job->status = status;
}

template <typename Fn>
absl::Status InChunks(const std::vector<std::string>& keys, Fn fn) {
  for (size_t i = 0; i < keys.size(); i += kLoadChunk) {
    std::vector<std::string> chunk(keys.begin() + i,
                                   keys.begin() + std::min(keys.size(), i + kLoadChunk));
    if (absl::Status s = fn(chunk); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Engine::Statements() {
  std::vector<std::pair<std::string, std::string>> all = {
      {"charging_writer_lock", "SELECT pg_try_advisory_lock($1::bigint)"},
      {"charging_writer_unlock", "SELECT pg_advisory_unlock($1::bigint)"},
      {"charging_last_sequence", "SELECT last_sequence FROM charging.cdr_counter"},
      {"charging_load_sessions", std::string("SELECT ") + kSessionColumns +
                                     " FROM charging.cc_session WHERE session_id = ANY($1::text[])"},
      {"charging_load_records",
       "SELECT session_id, record_number, record_type, cdr_sequence, subject, icid, content_id,"
       " locality, node_id, called_party, access_network_info, bytes_down, bytes_up,"
       " (extract(epoch from at) * 1000)::bigint FROM charging.acct_record"
       " WHERE session_id = ANY($1::text[]) ORDER BY session_id, record_number"},
      {"charging_load_claims",
       "SELECT session_id, sequence FROM charging.cdr_session WHERE session_id = ANY($1::text[])"},
      {"charging_load_accounts", std::string("SELECT ") + kAccountColumns +
                                     " FROM charging.account WHERE subject = ANY($1::text[])"},
      {"charging_load_pools",
       "SELECT content_id, bytes_down, bytes_up_credited, bytes_up_over_claimed"
       " FROM charging.incentive_pool WHERE period_start = to_timestamp($2::bigint)"
       " AND content_id = ANY($1::text[])"},
      {"charging_load_keys",
       "SELECT idempotency_key FROM charging.ledger WHERE idempotency_key = ANY($1::text[])"},
      // Sessions the sweeper must see: credit control not terminated (opened in the last 30
      // days), and accounting without STOP whose records are recent enough to matter ($1 s).
      {"charging_open_sessions",
       "SELECT session_id FROM charging.cc_session"
       " WHERE opened_at > now() - interval '30 days' AND state <> 'terminated'"
       " UNION SELECT a.session_id FROM charging.acct_record a"
       " WHERE a.record_type IN ('start', 'interim')"
       " AND a.at > now() - make_interval(secs => $1::bigint)"
       " AND NOT EXISTS (SELECT 1 FROM charging.acct_record s WHERE s.session_id = a.session_id"
       " AND s.record_type IN ('stop', 'event'))"},
      {"charging_all_tariffs",
       "SELECT tariff_id, currency, incentive_per_gib_minor, incentive_same_area_per_gib_minor,"
       " incentive_same_cell_per_gib_minor, validity_seconds, per_byte_grant_bytes,"
       " extract(epoch from effective_from)::bigint FROM charging.tariff"
       " ORDER BY effective_from DESC"},
  };
  auto writes = WriteSet::Statements();
  all.insert(all.end(), writes.begin(), writes.end());
  return all;
}

// The engine only looks rows up by key. A plan cached while a table was small would scan it whole
// forever after; this keeps every plan on the indexes. The cost penalty that does so would make
// every statement worth JIT-compiling (tens of milliseconds each): no JIT.
constexpr char kSessionSetup[] = "SET enable_seqscan = off; SET jit = off";

Engine::Engine(pg::Pool& pool, ChargingOptions options)
    : pool_(pool),
      options_(std::move(options)),
      session_(pool, kSessionSetup),
      reader_(pool, kSessionSetup) {
  committer_ = std::thread([this] { Commit(); });
  thread_ = std::thread([this] { Run(); });
}

Engine::~Engine() {
  stopping_.store(true);
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    wake_.notify_all();
  }
  thread_.join();
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    commit_cv_.notify_all();
  }
  committer_.join();
  // Hand the writer's role over at once: closing the connection alone frees the lock only when
  // the server notices.
  if (leader()) {
    (void)session_.Read([](pqxx::nontransaction& tx) {
      tx.exec_prepared("charging_writer_unlock", kWriterLock);
      return absl::OkStatus();
    });
  }
  for (EngineJob* job : Take(absl::ZeroDuration())) {
    job->status = absl::UnavailableError("charging is shutting down");
    job->done(*job);
  }
}

void Engine::Submit(EngineJob* job) {
  EngineJob* head = inbox_.load(std::memory_order_relaxed);
  do {
    job->next = head;
  } while (!inbox_.compare_exchange_weak(head, job, std::memory_order_release,
                                         std::memory_order_relaxed));
  // Only a push onto an empty inbox can find the engine asleep: waiting for jobs, or for the
  // commit in flight while it gathers more (Extend).
  if (head == nullptr) {
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      wake_.notify_one();
    }
    std::lock_guard<std::mutex> lock(commit_mu_);
    commit_cv_.notify_all();
  }
}

std::vector<EngineJob*> Engine::Take(absl::Duration wait) {
  EngineJob* list = inbox_.exchange(nullptr, std::memory_order_acquire);
  if (list == nullptr && wait > absl::ZeroDuration()) {
    std::unique_lock<std::mutex> lock(wake_mu_);
    wake_.wait_for(lock, absl::ToChronoMilliseconds(wait), [&] {
      return stopping_.load() || inbox_.load(std::memory_order_relaxed) != nullptr;
    });
    list = inbox_.exchange(nullptr, std::memory_order_acquire);
  }
  std::vector<EngineJob*> jobs;
  for (; list != nullptr; list = list->next) jobs.push_back(list);
  std::reverse(jobs.begin(), jobs.end());  // a stack: newest first
  return jobs;
}

void Engine::Run() {
  std::vector<EngineJob*> pending;
  while (!stopping_.load()) {
    pending.insert(pending.begin(), deferred_.begin(), deferred_.end());
    deferred_.clear();
    std::vector<EngineJob*> taken = Take(pending.empty() ? absl::Milliseconds(200)
                                                         : absl::ZeroDuration());
    pending.insert(pending.end(), taken.begin(), taken.end());
    // Also under load: what memory holds must not grow with the traffic. Nothing may be in flight
    // then, or an entry about to be written could be read back stale.
    if (options_.clock() >= next_evict_ && leader()) {
      Reap();
      Evict();
      next_evict_ = options_.clock() + kEvictInterval;
    }
    if (pending.empty()) {
      Reap();  // idle: nothing to overlap with the batch in flight
      if (!leader()) {  // a standby keeps trying for the lock
        std::vector<EngineJob*> none;
        Process(none);
      }
      continue;
    }
    const size_t n = std::min<size_t>(pending.size(), options_.max_batch);
    std::vector<EngineJob*> batch(pending.begin(), pending.begin() + n);
    pending.erase(pending.begin(), pending.begin() + n);
    Process(batch);
  }
  pending.insert(pending.end(), deferred_.begin(), deferred_.end());
  deferred_.clear();
  for (EngineJob* job : pending) {
    job->status = absl::UnavailableError("charging is shutting down");
    job->done(*job);
  }
  // The downloads reported since the last flush.
  if (Reap() && leader()) {
    WriteSet ws(last_sequence_);
    FlushPools(ws);
    ws.Seal();
    if (!ws.empty()) {
      absl::Status s = session_.Transaction([&](pqxx::work& tx) { return ws.Write(tx); });
      if (!s.ok()) log::Warn("incentive pools not flushed", {{"error", s.message()}});
    }
  }
}

absl::Status Engine::EnsureLeader() {
  if (leader() && session_.open()) return absl::OkStatus();
  leader_.store(false);
  const absl::Time now = absl::Now();
  if (now < next_leader_try_) {
    return absl::UnavailableError("charging standby: another replica is the writer");
  }
  next_leader_try_ = now + absl::Seconds(1);
  bool got = false;
  absl::Status s = session_.Read([&](pqxx::nontransaction& tx) {
    got = tx.exec_prepared1("charging_writer_lock", kWriterLock)[0].as<bool>();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (!got) return absl::UnavailableError("charging standby: another replica is the writer");
  Forget();
  leader_.store(true);
  log::Info("charging is the writer replica");
  return absl::OkStatus();
}

void Engine::Forget() {
  sessions_.clear();
  accounts_.clear();
  pools_.clear();
  reserved_by_subject_.clear();
  open_reservations_.store(0);
  reserved_total_.store(0);
  need_counter_ = true;
  need_open_scan_ = true;
}

void Engine::Process(std::vector<EngineJob*>& jobs) {
  absl::Status s;
  // A batch that finished meanwhile is reaped first, so that its failure does not take this
  // batch down with it.
  bool busy;
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    busy = committing_;
  }
  if (!busy) Reap();
  if (!leader()) {
    Reap();  // the lock holder's session is the committer's until then
    s = EnsureLeader();
  }
  // Totals of a pool are read from its row: wait until the batch in flight has added its deltas.
  if (s.ok() && std::any_of(jobs.begin(), jobs.end(), [](const EngineJob* j) {
        return j->kind == EngineJob::Kind::kCreditControl && j->cc->used().bytes_up() > 0;
      })) {
    Reap();
  }
  if (s.ok()) s = Load(jobs);
  if (!s.ok()) {
    Reap();
    Fail(jobs, s.code() == absl::StatusCode::kUnavailable
                   ? s
                   : absl::UnavailableError(absl::StrCat("charging cannot read: ", s.message())));
    for (EngineJob* job : jobs) job->done(*job);
    return;
  }
  WriteSet ws(last_sequence_);
  for (EngineJob* job : jobs) Apply(*job, ws);
  Extend(jobs, ws);
  idempotency_keys_.clear();
  if (options_.clock() >= next_pool_flush_) {
    FlushPools(ws);
    next_pool_flush_ = options_.clock() + kPoolFlushInterval;
  }
  ws.Seal();
  last_sequence_ = ws.last_sequence();
  // This batch was applied on top of the one in flight: it stands or falls with it.
  if (!Reap()) {
    Fail(jobs, absl::UnavailableError("charging could not store an earlier batch; retry"));
    for (EngineJob* job : jobs) job->done(*job);
    return;
  }
  Launch(std::move(ws), std::move(jobs));
}

void Engine::Extend(std::vector<EngineJob*>& jobs, WriteSet& ws) {
  while (jobs.size() < static_cast<size_t>(options_.max_batch)) {
    {
      std::unique_lock<std::mutex> lock(commit_mu_);
      commit_cv_.wait(lock, [&] {
        return !committing_ || stopping_.load() || inbox_.load(std::memory_order_relaxed) != nullptr;
      });
      if (!committing_ || stopping_.load()) return;  // the slot is free: launch now
    }
    std::vector<EngineJob*> more = Take(absl::ZeroDuration());
    // Upload reports need pool totals, read only once nothing is in flight: next batch.
    const bool uploads = std::any_of(more.begin(), more.end(), [](const EngineJob* j) {
      return j->kind == EngineJob::Kind::kCreditControl && j->cc->used().bytes_up() > 0;
    });
    if (uploads || jobs.size() + more.size() > static_cast<size_t>(options_.max_batch)) {
      deferred_.insert(deferred_.end(), more.begin(), more.end());
      return;
    }
    if (absl::Status s = Load(more); !s.ok()) {
      Fail(more, absl::UnavailableError(absl::StrCat("charging cannot read: ", s.message())));
      for (EngineJob* job : more) job->done(*job);
      return;
    }
    for (EngineJob* job : more) Apply(*job, ws);
    jobs.insert(jobs.end(), more.begin(), more.end());
  }
}

void Engine::Launch(WriteSet ws, std::vector<EngineJob*> jobs) {
  std::lock_guard<std::mutex> lock(commit_mu_);
  to_commit_ = std::make_unique<Batch>(Batch{std::move(ws), std::move(jobs)});
  committing_ = true;
  commit_cv_.notify_all();
}

bool Engine::Reap() {
  absl::Status result;
  bool open = true;
  {
    std::unique_lock<std::mutex> lock(commit_mu_);
    commit_cv_.wait(lock, [&] { return !committing_; });
    result = std::exchange(last_commit_, absl::OkStatus());
    open = writer_open_;
  }
  if (!open) leader_.store(false);
  if (result.ok()) return true;
  Forget();
  verify_new_ = true;
  return false;
}

void Engine::Commit() {
  std::unique_lock<std::mutex> lock(commit_mu_);
  while (true) {
    commit_cv_.wait(lock, [&] { return to_commit_ != nullptr || stopping_.load(); });
    if (to_commit_ == nullptr) return;
    std::unique_ptr<Batch> batch = std::move(to_commit_);
    lock.unlock();
    absl::Status committed;
    if (!batch->ws.empty()) {
      committed = session_.Transaction([&](pqxx::work& tx) { return batch->ws.Write(tx); });
      if (committed.ok()) {
        batches_.fetch_add(1, std::memory_order_relaxed);
      } else {
        log::Warn("charging batch not committed",
                  {{"error", committed.message()}, {"requests", int64_t(batch->jobs.size())}});
        Fail(batch->jobs, absl::UnavailableError(absl::StrCat(
                              "charging could not store the batch: ", committed.message())));
      }
    }
    const bool open = batch->ws.empty() || session_.open();
    // The outcome is recorded before anyone hears it, so that a caller's retry finds the engine
    // knowing it.
    lock.lock();
    last_commit_ = committed;
    writer_open_ = open;
    committing_ = false;
    commit_cv_.notify_all();
    lock.unlock();
    for (EngineJob* job : batch->jobs) job->done(*job);
    lock.lock();
  }
}

absl::Status Engine::Load(const std::vector<EngineJob*>& jobs) {
  std::vector<std::string> session_ids, subjects, keys;
  absl::flat_hash_set<std::string> seen_sessions, seen_subjects;
  auto need_session = [&](const std::string& id) {
    if (!sessions_.contains(id) && seen_sessions.insert(id).second) session_ids.push_back(id);
  };
  auto need_account = [&](const std::string& subject) {
    if (!accounts_.contains(subject) && seen_subjects.insert(subject).second) {
      subjects.push_back(subject);
    }
  };
  // A request that opens a session (INITIAL, EVENT, the first accounting record) is taken to
  // name a new one: every open session is in memory already, and a closed one that is not
  // makes the batch's insert conflict. The batch then fails (its callers retry) and the next
  // one reads every session it names.
  const bool optimistic = !verify_new_;
  verify_new_ = false;
  for (const EngineJob* job : jobs) {
    switch (job->kind) {
      case EngineJob::Kind::kCreditControl:
        if (!optimistic || (job->cc->request_type() != v1::REQUEST_TYPE_INITIAL &&
                            job->cc->request_type() != v1::REQUEST_TYPE_EVENT)) {
          need_session(job->cc->session_id());
        }
        need_account(job->cc->subject());
        break;
      case EngineJob::Kind::kAccounting:
        if (!optimistic || job->acct->record_number() != 0 ||
            (job->acct->record_type() != v1::RECORD_TYPE_START &&
             job->acct->record_type() != v1::RECORD_TYPE_EVENT)) {
          need_session(job->acct->session_id());
        }
        break;
      case EngineJob::Kind::kCreateAccount:
        need_account(job->new_account->subject());
        break;
      case EngineJob::Kind::kGetAccount:
        need_account(job->subject);
        break;
      case EngineJob::Kind::kAdjust:
        need_account(job->adjust->subject());
        if (!job->adjust->idempotency_key().empty()) {
          keys.push_back(job->adjust->idempotency_key());
        }
        break;
      case EngineJob::Kind::kSweep:
        break;
    }
  }
  return reader_.Read([&](pqxx::nontransaction& tx) -> absl::Status {
    tariffs_.RefreshIfOld(tx);
    if (need_counter_) {
      last_sequence_ = tx.exec_prepared1("charging_last_sequence")[0].as<int64_t>();
      need_counter_ = false;
    }
    if (need_open_scan_) {
      if (absl::Status s = LoadOpenSessions(tx); !s.ok()) return s;
      need_open_scan_ = false;
    }
    if (absl::Status s = LoadSessions(tx, session_ids); !s.ok()) return s;
    // Sessions' own subjects (the sweeper settles them) and pools of the usage reported.
    std::vector<std::string> contents;
    absl::flat_hash_set<std::string> seen_contents;
    const int64_t hour = HourOf(NowMs());
    for (const EngineJob* job : jobs) {
      if (job->kind == EngineJob::Kind::kSweep) {
        for (const auto& [id, s] : sessions_) {
          if (s->has_cc && s->cc.state == "open") need_account(s->cc.subject);
        }
      }
      // Only uploads are credited from the totals; downloads just add to them.
      if (job->kind != EngineJob::Kind::kCreditControl || job->cc->used().bytes_up() == 0) continue;
      const SessionEntry* s = FindSession(job->cc->session_id());
      if (s == nullptr || !s->has_cc || s->cc.content_id.empty()) continue;
      const std::string& cid = s->cc.content_id;
      auto known = pools_.find(PoolKey(cid, hour));
      if ((known == pools_.end() || !known->second->known) && seen_contents.insert(cid).second) {
        contents.push_back(cid);
      }
    }
    if (absl::Status s = LoadAccounts(tx, subjects); !s.ok()) return s;
    if (absl::Status s = LoadPools(tx, contents, hour); !s.ok()) return s;
    return LoadKeys(tx, keys);
  });
}

absl::Status Engine::LoadOpenSessions(pqxx::nontransaction& tx) {
  std::vector<std::string> ids;
  for (const auto& row : tx.exec_prepared("charging_open_sessions",
                                          4 * absl::ToInt64Seconds(options_.accounting_timeout))) {
    if (!sessions_.contains(row[0].c_str())) ids.push_back(row[0].as<std::string>());
  }
  if (!ids.empty()) log::Info("open sessions loaded", {{"count", int64_t(ids.size())}});
  return LoadSessions(tx, ids);
}

absl::Status Engine::LoadSessions(pqxx::nontransaction& tx, const std::vector<std::string>& ids) {
  return InChunks(ids, [&](const std::vector<std::string>& chunk) {
    const std::string keys = pg::ArrayLiteral(chunk);
    for (const auto& row : tx.exec_prepared("charging_load_sessions", keys)) {
      auto e = std::make_unique<SessionEntry>();
      e->cc = ReadSession(row);
      e->id = e->cc.session_id;
      e->has_cc = e->cc_persisted = true;
      e->expires_at_ms = e->cc.expires_at_ms;
      e->answers = UnpackAnswers(e->cc.answers);
      e->cc.answers.clear();
      if (!e->answers.empty()) e->answers_written_through = e->answers.rbegin()->first;
      if (e->cc.state == "terminated") e->closed_ms = NowMs();
      if (e->cc.state == "open") {
        reserved_by_subject_[e->cc.subject] += e->cc.reserved_minor;
        reserved_total_.fetch_add(e->cc.reserved_minor, std::memory_order_relaxed);
        open_reservations_.fetch_add(1, std::memory_order_relaxed);
      }
      sessions_[e->id] = std::move(e);
    }
    for (const auto& row : tx.exec_prepared("charging_load_records", keys)) {
      std::unique_ptr<SessionEntry>& e = sessions_[row[0].c_str()];
      if (e == nullptr) {
        e = std::make_unique<SessionEntry>();
        e->id = row[0].as<std::string>();
      }
      const int64_t number = row[1].as<int64_t>();
      const std::string type = row[2].as<std::string>();
      e->records[number] = row[3].as<int64_t>();
      AccountingTotals& t = e->acct;
      const int64_t at = row[13].as<int64_t>();
      if (t.first_ms == 0) t.first_ms = at;
      t.last_ms = std::max(t.last_ms, at);
      t.last_record_number = std::max(t.last_record_number, number);
      auto keep = [](std::string* into, const pqxx::field& f) {
        if (f.size() > 0) *into = f.as<std::string>();
      };
      keep(&t.subject, row[4]);
      keep(&t.icid, row[5]);
      keep(&t.content_id, row[6]);
      keep(&t.locality, row[7]);
      keep(&t.node_id, row[8]);
      keep(&t.called_party, row[9]);
      keep(&t.access_network_info, row[10]);
      t.bytes_down += row[11].as<int64_t>();
      t.bytes_up += row[12].as<int64_t>();
      if (type == "stop" || type == "event") {
        e->acct_closed = true;
        e->closed_ms = NowMs();
      }
    }
    // A session known only by its CDR was one accounting EVENT (record number 0).
    for (const auto& row : tx.exec_prepared("charging_load_claims", keys)) {
      std::unique_ptr<SessionEntry>& e = sessions_[row[0].c_str()];
      if (e != nullptr) continue;
      e = std::make_unique<SessionEntry>();
      e->id = row[0].as<std::string>();
      e->records[0] = row[1].as<int64_t>();
      e->acct_closed = true;
      e->closed_ms = NowMs();
    }
    return absl::OkStatus();
  });
}

absl::Status Engine::LoadAccounts(pqxx::nontransaction& tx,
                                  const std::vector<std::string>& subjects) {
  return InChunks(subjects, [&](const std::vector<std::string>& chunk) {
    for (const auto& row : tx.exec_prepared("charging_load_accounts", pg::ArrayLiteral(chunk))) {
      auto a = std::make_unique<AccountEntry>();
      a->subject = row[0].as<std::string>();
      a->kind = row[1].as<std::string>();
      a->currency = row[2].as<std::string>();
      a->balance = row[3].as<int64_t>();
      a->credit_limit = row[4].as<int64_t>();
      a->incentive = row[5].as<int64_t>();
      if (auto held = reserved_by_subject_.find(a->subject); held != reserved_by_subject_.end()) {
        a->reserved = held->second;
      }
      a->used_ms = NowMs();
      accounts_[a->subject] = std::move(a);
    }
    return absl::OkStatus();
  });
}

absl::Status Engine::LoadPools(pqxx::nontransaction& tx, const std::vector<std::string>& contents,
                               int64_t period_start_s) {
  return InChunks(contents, [&](const std::vector<std::string>& chunk) {
    for (const auto& row :
         tx.exec_prepared("charging_load_pools", pg::ArrayLiteral(chunk), period_start_s)) {
      auto p = std::make_unique<PoolEntry>();
      p->content_id = row[0].as<std::string>();
      p->period_start_s = period_start_s;
      p->bytes_down = row[1].as<int64_t>();
      p->bytes_up_credited = row[2].as<int64_t>();
      p->bytes_up_over_claimed = row[3].as<int64_t>();
      p->known = true;
      std::unique_ptr<PoolEntry>& slot = pools_[PoolKey(p->content_id, period_start_s)];
      if (slot != nullptr) {  // downloads added since, not yet written
        p->bytes_down += slot->delta_down;
        p->delta_down = slot->delta_down;
      }
      slot = std::move(p);
    }
    return absl::OkStatus();
  });
}

absl::Status Engine::LoadKeys(pqxx::nontransaction& tx, const std::vector<std::string>& keys) {
  if (keys.empty()) return absl::OkStatus();
  for (const auto& row : tx.exec_prepared("charging_load_keys", pg::ArrayLiteral(keys))) {
    idempotency_keys_.insert(row[0].as<std::string>());
  }
  return absl::OkStatus();
}

void Engine::Apply(EngineJob& job, WriteSet& ws) {
  switch (job.kind) {
    case EngineJob::Kind::kCreditControl:
      return CreditControl(job, ws);
    case EngineJob::Kind::kAccounting:
      return Accounting(job, ws);
    case EngineJob::Kind::kCreateAccount:
      return CreateAccount(job, ws);
    case EngineJob::Kind::kAdjust:
      return Adjust(job, ws);
    case EngineJob::Kind::kGetAccount:
      return GetAccount(job);
    case EngineJob::Kind::kSweep:
      return Sweep(job, ws);
  }
}

void Engine::Reserve(const std::string& subject, AccountEntry* account, int64_t delta) {
  if (delta == 0) return;
  reserved_total_.fetch_add(delta, std::memory_order_relaxed);
  int64_t& held = reserved_by_subject_[subject];
  held += delta;
  if (account != nullptr) account->reserved = held;
  if (held == 0) reserved_by_subject_.erase(subject);
}

SessionEntry* Engine::FindSession(const std::string& id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

AccountEntry* Engine::FindAccount(const std::string& subject) {
  auto it = accounts_.find(subject);
  return it == accounts_.end() ? nullptr : it->second.get();
}

PoolEntry* Engine::PoolFor(const std::string& content_id, int64_t period_start_s) {
  std::unique_ptr<PoolEntry>& p = pools_[PoolKey(content_id, period_start_s)];
  if (p == nullptr) {
    p = std::make_unique<PoolEntry>();
    p->content_id = content_id;
    p->period_start_s = period_start_s;
  }
  return p.get();
}

void Engine::FlushPools(WriteSet& ws) {
  for (auto& [key, p] : pools_) {
    if (p->delta_down != 0) ws.Touch(p.get());
  }
}

}  // namespace p2pims::charging
