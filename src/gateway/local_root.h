#pragma once
// The one folder a gateway may write files into. Redshift unloads only to Amazon S3; a
// gateway writes a local-path UNLOAD (`TO '/path/prefix_'`) only when started with
// `--local-root DIR`, and then only under DIR: every path the engine writes, lists or
// deletes (CLEANPATH included) is checked against DIR first. Without the root, any database
// login could have the gateway's OS user write or delete files anywhere.
//
//   cu::gateway::LocalRoot root("/srv/unloads");           // must exist; symlinks resolved
//   std::string to = root.confine("out/sales_");           // "/srv/unloads/out/sales_"
//   root.confine("/etc/cron.d/x_");                        // throws cu::Error(kAccess)
//   auto store = cu::gateway::make_confined_folder_store(root);
//
// A relative path is taken from DIR. A path is inside when it has no `..` segment and its
// folder — resolved through every symlink of the part that exists — is DIR or below it.
// Leaf names are not followed (the folder store renames over and unlinks them).

#include <memory>
#include <string>
#include <string_view>

#include "sink/object_store.h"

namespace cu::gateway {

class LocalRoot {
 public:
  // Resolves `dir` (realpath). Throws cu::Error(kUsage, "--local-root", dir, …) when it is
  // not an existing folder.
  explicit LocalRoot(const std::string& dir);

  // The canonical folder, without a trailing '/' (except for "/").
  const std::string& path() const { return path_; }

  // `to` as an absolute, lexically normal path inside the root (a trailing '/' kept).
  // Throws cu::Error(kAccess, "local root", to, …) when it is empty, has a `..` segment, or
  // its folder resolves outside the root.
  std::string confine(std::string_view to) const;

 private:
  bool contains(const std::string& canonical) const;
  std::string path_;
};

// A folder store (sink::make_folder_store) that confines every key it opens, lists or
// deletes to `root` (which must outlive the store).
std::unique_ptr<sink::ObjectStore> make_confined_folder_store(const LocalRoot& root);

// The refusal of a local-path UNLOAD by a gateway started without --local-root.
[[noreturn]] void refuse_local_unload(std::string_view to);

}  // namespace cu::gateway
