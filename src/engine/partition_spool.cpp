#include "engine/partition_spool.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/error.h"

namespace cu::engine {
namespace {

void put_varint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

// Reads a varint at `pos`; false when the bytes end first (a corrupt chunk).
bool get_varint(std::string_view in, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; pos < in.size() && shift < 64; shift += 7) {
    auto b = static_cast<unsigned char>(in[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      return true;
    }
  }
  return false;
}

}  // namespace

PartitionSpool::PartitionSpool(PartitionSpoolOptions options)
    : dir_(std::move(options.dir)), memory_bytes_(options.memory_bytes) {
  if (dir_.empty()) {
    const char* t = std::getenv("TMPDIR");
    dir_ = t && *t ? t : "/tmp";
  }
}

PartitionSpool::~PartitionSpool() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void PartitionSpool::fail(const std::string& what, int err) const {
  throw Error(ErrorKind::kOther, "spool partitions", dir_, what + ": " + std::strerror(err))
      .with_hint(
          "rows of partitions beyond the open-file bound wait in a temporary file; it needs "
          "free space about the size of the uncompressed output. Set TMPDIR to a folder with "
          "room");
}

size_t PartitionSpool::add_partition() {
  parts_.emplace_back();
  return parts_.size() - 1;
}

void PartitionSpool::append(size_t id, std::string_view row) {
  Partition& p = parts_[id];
  size_t before = p.buffer.size();
  put_varint(row.size(), p.buffer);
  p.buffer.append(row);
  buffered_ += p.buffer.size() - before;
  if (buffered_ >= memory_bytes_) {
    spill_all();
  }
}

void PartitionSpool::write_at_end(std::string_view bytes) {
  if (fd_ < 0) {
#ifdef O_TMPFILE
    fd_ = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (fd_ < 0) {
      // Filesystems without O_TMPFILE: a named file, unlinked before anything is written.
      std::string path = dir_ + "/.crossunload-spool-XXXXXX";
      fd_ = ::mkostemp(path.data(), O_CLOEXEC);
      if (fd_ < 0) {
        fail("cannot create a temporary file", errno);
      }
      ::unlink(path.c_str());
    }
  }
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(file_size_));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("cannot write the temporary file", errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    file_size_ += static_cast<uint64_t>(n);
  }
}

void PartitionSpool::spill_all() {
  for (Partition& p : parts_) {
    if (p.buffer.empty()) {
      continue;
    }
    p.chunks.push_back({file_size_, p.buffer.size()});
    write_at_end(p.buffer);
    // Keep no capacity: with thousands of partitions, idle buffers would add up.
    std::string().swap(p.buffer);
  }
  buffered_ = 0;
}

void PartitionSpool::replay(size_t id, const std::function<void(std::string_view)>& row) {
  Partition& p = parts_[id];
  auto rows_of = [&](std::string_view bytes) {
    size_t pos = 0;
    while (pos < bytes.size()) {
      uint64_t len = 0;
      if (!get_varint(bytes, pos, len) || len > bytes.size() - pos) {
        fail("the temporary file is corrupt", EIO);
      }
      row(bytes.substr(pos, len));
      pos += len;
    }
  };
  std::string chunk;
  for (const Chunk& c : p.chunks) {
    chunk.resize(c.size);
    uint64_t done = 0;
    while (done < c.size) {
      ssize_t n =
          ::pread(fd_, chunk.data() + done, c.size - done, static_cast<off_t>(c.offset + done));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        fail("cannot read the temporary file", n < 0 ? errno : EIO);
      }
      done += static_cast<uint64_t>(n);
    }
    rows_of(chunk);
    // Give the disk back as partitions are written, so the spool and the output it
    // becomes are not both on disk in full (whole blocks only; best effort).
    (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(c.offset),
                      static_cast<off_t>(c.size));
  }
  rows_of(p.buffer);
  buffered_ -= p.buffer.size();
  std::string().swap(p.buffer);
  std::vector<Chunk>().swap(p.chunks);
}

}  // namespace cu::engine
