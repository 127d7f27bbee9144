#include "services/origin/catalogue.h"

#include <filesystem>

#include "lib/grpc/client.h"

namespace p2pims::origin {
namespace fs = std::filesystem;

bool HoldsOnDisk(const std::string& dir, const std::string& name, int64_t size_bytes) {
  // A name from the index never leads out of the directory.
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return false;
  }
  std::error_code ec;
  const fs::path path = fs::path(dir) / name;
  const fs::file_status st = fs::status(path, ec);
  if (ec) return false;
  if (fs::is_regular_file(st)) {
    const auto size = fs::file_size(path, ec);
    return !ec && static_cast<int64_t>(size) == size_bytes;
  }
  if (!fs::is_directory(st)) return false;
  int64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return !ec && total == size_bytes;
}

Catalogue::Catalogue(std::shared_ptr<tracker::v1::ContentIndex::StubInterface> index,
                     std::string dir)
    : index_(std::move(index)), dir_(std::move(dir)) {}

absl::StatusOr<std::vector<HeldContent>> Catalogue::Held() {
  std::vector<HeldContent> held;
  tracker::v1::ListIndexedContentRequest req;
  req.set_page_size(1000);
  do {
    tracker::v1::ListIndexedContentResponse page;
    if (absl::Status s = Call({.deadline = absl::Seconds(10), .idempotent = true},
                              [&](grpc::ClientContext& ctx) {
                                return index_->ListIndexedContent(&ctx, req, &page);
                              });
        !s.ok()) {
      return s;
    }
    for (const tracker::v1::IndexedContent& c : page.content()) {
      if (HoldsOnDisk(dir_, c.name(), c.size_bytes())) {
        held.push_back({c.content_id(), c.name(), c.size_bytes()});
      }
    }
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  return held;
}

absl::StatusOr<std::string> Catalogue::Metainfo(const std::string& content_id) {
  tracker::v1::GetIndexedContentRequest req;
  req.set_content_id(content_id);
  tracker::v1::IndexedContent found;
  if (absl::Status s = Call({.deadline = absl::Seconds(10), .idempotent = true},
                            [&](grpc::ClientContext& ctx) {
                              return index_->GetIndexedContent(&ctx, req, &found);
                            });
      !s.ok()) {
    return s;
  }
  if (found.metainfo().empty()) {
    return absl::FailedPreconditionError("the index holds no metainfo for " + content_id);
  }
  return std::move(*found.mutable_metainfo());
}

}  // namespace p2pims::origin
