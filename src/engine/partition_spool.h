#pragma once
// engine::PartitionSpool — holds the rows of many partitions on local disk so that each
// partition can later be written as one stream, in arrival order, however interleaved the
// rows came. PARTITION BY uses it once more partitions are seen than it may keep files open
// for (engine/unload.h): instead of closing and reopening files (many small parts), the
// rows of the other partitions wait here and are replayed partition after partition.
//
//   engine::PartitionSpool spool({.dir = "/tmp", .memory_bytes = 32 << 20});
//   size_t p = spool.add_partition();       // ids 0, 1, 2, … in order of first row
//   spool.append(p, encoded_row);           // any number of partitions, any order
//   spool.replay(p, [&](std::string_view row) { … });   // rows of p, in append order
//
// One anonymous temporary file (O_TMPFILE, or created and unlinked at once) holds every
// partition's rows: each partition buffers in memory until the buffers together pass
// `memory_bytes`, then every buffer is appended to the file as one chunk and the partition
// remembers where its chunks are. Nothing ever has a name on disk, so nothing is left
// behind on success, failure or a crash; the disk it needs is the rows' own size plus
// 1–5 bytes of framing per row, given back (hole punching) as partitions are replayed.
// Memory: `memory_bytes` of buffers plus ~40 bytes per partition and 16 per chunk. Not
// thread-safe.
//
// Errors: cu::Error(kOther, "spool partitions", <dir>, …) when the file cannot be created,
// written (disk full) or read, with a hint naming TMPDIR.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cu::engine {

struct PartitionSpoolOptions {
  std::string dir;                      // empty: $TMPDIR, else /tmp
  uint64_t memory_bytes = 32ull << 20;  // buffered rows before they go to the file
};

class PartitionSpool {
 public:
  explicit PartitionSpool(PartitionSpoolOptions options = {});
  ~PartitionSpool();
  PartitionSpool(const PartitionSpool&) = delete;
  PartitionSpool& operator=(const PartitionSpool&) = delete;

  // A new, empty partition; returns its id.
  size_t add_partition();
  size_t partitions() const { return parts_.size(); }

  // Adds one row (any bytes, newlines included) to partition `id`.
  void append(size_t id, std::string_view row);

  // Calls `row` with each row of partition `id`, in the order appended, then frees its
  // memory. A partition is replayed once; appending to it afterwards is not allowed.
  void replay(size_t id, const std::function<void(std::string_view)>& row);

  // Bytes written to the file so far (rows and framing), for logs and tests.
  uint64_t spilled_bytes() const { return file_size_; }
  const std::string& dir() const { return dir_; }

 private:
  struct Chunk {
    uint64_t offset;
    uint64_t size;
  };
  struct Partition {
    std::string buffer;
    std::vector<Chunk> chunks;
  };

  void spill_all();
  void write_at_end(std::string_view bytes);
  [[noreturn]] void fail(const std::string& what, int err) const;

  std::string dir_;
  uint64_t memory_bytes_;
  uint64_t buffered_ = 0;
  uint64_t file_size_ = 0;
  int fd_ = -1;
  std::vector<Partition> parts_;
};

}  // namespace cu::engine
