// Which indexed content the origin can seed: the tracker's content index, paged through, against
// the content directory. Content is held when the directory has an entry named as the content
// (the metainfo's name) whose size is the indexed size: a file, or a directory of files for
// multi-file content. Whether the bytes are right is libtorrent's check, when the torrent is added.
//
//   Catalogue catalogue(index_stub, "/srv/p2pims/content");
//   for (const HeldContent& c : *catalogue.Held()) ...
//   auto metainfo = catalogue.Metainfo(c.content_id);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "p2pims/tracker/v1/tracker.grpc.pb.h"

namespace p2pims::origin {

struct HeldContent {
  std::string content_id;
  std::string name;
  int64_t size_bytes = 0;
};

// True when `dir` holds `name` with `size_bytes` bytes in all (a file, or a directory's files).
bool HoldsOnDisk(const std::string& dir, const std::string& name, int64_t size_bytes);

class Catalogue {
 public:
  Catalogue(std::shared_ptr<tracker::v1::ContentIndex::StubInterface> index, std::string dir);

  // The indexed content the directory holds, in content id order.
  absl::StatusOr<std::vector<HeldContent>> Held();
  // The content's bencoded metainfo (the index lists it without).
  absl::StatusOr<std::string> Metainfo(const std::string& content_id);
  const std::string& dir() const { return dir_; }

 private:
  std::shared_ptr<tracker::v1::ContentIndex::StubInterface> index_;
  const std::string dir_;
};

}  // namespace p2pims::origin
