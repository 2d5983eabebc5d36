#include "engine/commit.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <regex>
#include <set>

#include "base/error.h"
#include "base/log.h"
#include "base/work_queue.h"

namespace cu::engine {
namespace {

std::string not_empty_message(bool s3) {
  return s3 ? "Specified unload destination on S3 is not empty. Consider using a different "
              "bucket / prefix, manually removing the target files in S3, or using the "
              "ALLOWOVERWRITE option."
            : "Specified unload destination is not empty. Consider using a different prefix, "
              "manually removing the target files, or using the ALLOWOVERWRITE option.";
}

std::string folder_of(const std::string& key) {
  size_t slash = key.rfind('/');
  return slash == std::string::npos ? std::string() : key.substr(0, slash + 1);
}

// `e` with what the commit phase left added to its hint.
Error with_left(const std::exception& e, const std::string& left) {
  if (const auto* err = dynamic_cast<const Error*>(&e)) {
    Error copy = *err;
    return copy.with_hint(copy.hint().empty() ? left : copy.hint() + "; " + left);
  }
  return Error(ErrorKind::kOther, "commit", "", std::string(e.what()) + "; " + left);
}

// What a failure while publishing data files leaves.
Error commit_failed(const std::exception& e, size_t published, size_t total) {
  return with_left(
      e, published == 0
             ? std::string("nothing of this run was published")
             : fmt::format("{} of the {} data object(s) of this run were published before it, "
                           "the others were not, and the manifest was not written",
                           published, total));
}

}  // namespace

void check_destination(const unload::UnloadSpec& spec, const unload::Destination& dest,
                       sink::ObjectStore& store, const std::string& prefix) {
  if (spec.clean_path || spec.allow_overwrite) {
    return;
  }
  std::vector<sink::StoredObject> existing = store.list(prefix);
  if (!existing.empty()) {
    throw Error(ErrorKind::kDestination, "check destination", store.url(prefix),
                not_empty_message(dest.s3))
        .with_hint(fmt::format("{} object(s) exist under it, the first {}", existing.size(),
                               store.url(existing.front().key)));
  }
}

bool could_be_output(std::string_view rest) {
  static const std::regex kName(
      R"(/?([^/=]+=[^/]*/)*((\d{4,}_part_\d{2,}|\d{3,})(\.[^/]*)?|manifest))");
  return std::regex_match(rest.begin(), rest.end(), kName);
}

std::vector<std::string> clean_path_keys(sink::ObjectStore& store, const unload::Destination& dest,
                                         const std::string& prefix,
                                         const std::vector<std::string>& folders) {
  std::vector<std::string> out;
  for (const std::string& folder : folders) {
    for (const auto& o : store.list(folder)) {
      if (!dest.s3 && !could_be_output(std::string_view(o.key).substr(prefix.size()))) {
        continue;  // in a folder, only what crossunload could have written
      }
      out.push_back(o.key);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

CommitResult commit_run(sink::ObjectStore& store, std::vector<SealedFile> files,
                        std::unique_ptr<sink::ObjectWriter> manifest, const CommitPlan& plan) {
  const unload::UnloadSpec& spec = plan.spec;
  const bool replace = spec.allow_overwrite || spec.clean_path;
  CommitResult result;
  std::vector<std::unique_ptr<sink::ObjectWriter>> pending;  // aborted if not published
  auto abort_pending = [&] {
    for (auto& f : files) {
      if (f.writer) {
        pending.push_back(std::move(f.writer));
      }
    }
    if (manifest) {
      pending.push_back(std::move(manifest));
    }
    abort_all(std::move(pending));
  };

  // 1. Another run may have published under the prefix since check_destination().
  if (!replace) {
    std::vector<sink::StoredObject> existing = store.list(plan.prefix);
    if (!existing.empty()) {
      abort_pending();
      throw Error(ErrorKind::kDestination, "commit", store.url(plan.prefix),
                  not_empty_message(plan.dest.s3))
          .with_hint(fmt::format(
              "{} object(s) appeared under it while this run read its query (another run?), "
              "the first {}; nothing of this run was published",
              existing.size(), store.url(existing.front().key)));
    }
  }

  // 2. What CLEANPATH will replace: listed now, deleted once the new files are there.
  std::vector<std::string> stale;
  if (spec.clean_path) {
    std::vector<std::string> folders;
    if (spec.partition_by) {
      std::set<std::string> seen;
      for (const auto& f : files) {
        seen.insert(folder_of(f.file.key));
      }
      folders.assign(seen.begin(), seen.end());
    } else {
      folders.push_back(plan.prefix);
    }
    std::set<std::string> ours;
    for (const auto& f : files) {
      ours.insert(f.file.key);
    }
    if (manifest) {
      ours.insert(manifest->key());
    }
    for (auto& k : clean_path_keys(store, plan.dest, plan.prefix, folders)) {
      if (!ours.contains(k)) {
        stale.push_back(std::move(k));
      }
    }
  }

  // 3. The data files: the first alone (a run racing to the same names stops here), then
  // the others several at a time.
  std::atomic<size_t> published{0};
  try {
    if (!files.empty()) {
      files.front().writer->publish(replace);
      files.front().writer.reset();
      ++published;
    }
    if (files.size() > 1) {
      WorkQueue q({.threads = std::min<unsigned>(plan.threads, static_cast<unsigned>(files.size())),
                   .max_weight = files.size()});
      for (size_t i = 1; i < files.size(); ++i) {
        q.submit(
            [&, i](unsigned) {
              files[i].writer->publish(replace);
              files[i].writer.reset();
              ++published;
            },
            1);
      }
      q.wait();
    }
  } catch (const std::exception& e) {
    abort_pending();
    throw commit_failed(e, published, files.size());
  }

  // 4. CLEANPATH: what this run did not replace.
  if (!stale.empty()) {
    try {
      store.remove(stale);
    } catch (const std::exception& e) {
      abort_pending();
      throw with_left(e, fmt::format("all {} data object(s) of this run were published, but "
                                     "CLEANPATH could not delete the {} older object(s) and the "
                                     "manifest was not written",
                                     files.size(), stale.size()));
    }
    cu::log::info("CLEANPATH: deleted {} older object(s) under {}", stale.size(),
                  store.url(plan.prefix));
    result.cleaned = std::move(stale);
  }

  // 5. The manifest, last.
  if (manifest) {
    try {
      manifest->publish(replace);
    } catch (const std::exception& e) {
      throw with_left(e, fmt::format("all {} data object(s) of this run were published; the "
                                     "manifest was not written",
                                     files.size()));
    }
  }
  return result;
}

}  // namespace cu::engine
