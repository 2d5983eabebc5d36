#pragma once
// Stand-ins for the engine's two ends, for unit tests that need no PostgreSQL and no S3:
// FakeCopySource streams given rows as PostgreSQL's text or binary COPY would, and
// MemoryStore keeps objects in memory with the two-step commit of sink/object_store.h
// (seal, then publish — refusing to replace unless asked), counts the writers still open
// (sealed or not) and can be told to fail an operation on a key ("write", "seal",
// "publish", "remove") or to do something then (another run publishing meanwhile).
//
//   FakeCopySource src({{"id", pg::oid::kInt4}, {"name", pg::oid::kText}},
//                      {{"1", "a"}, {"2", std::nullopt}});
//   MemoryStore store;
//   engine::run_unload(spec, src, store, {});
//   store.objects();           // key -> bytes of what is visible
//   store.open_writers();      // 0 once every object was committed or aborted

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "copy_text.h"
#include "engine/copy_binary_decoder.h"
#include "pg/copy_source.h"
#include "sink/object_store.h"

namespace cu::test {

using Row = std::vector<std::optional<std::string>>;

class FakeCopySource : public pg::CopySource {
 public:
  FakeCopySource(std::vector<pg::SourceColumn> columns, std::vector<Row> rows)
      : columns_(std::move(columns)), rows_(std::move(rows)) {}

  // Throw cu::Error(kSource) once this many rows were streamed.
  std::optional<size_t> fail_after;
  // Binary COPY comes in chunks of this many bytes (any split must work).
  size_t binary_chunk = 7;

  std::vector<pg::SourceColumn> describe(std::string_view) override { return columns_; }

  uint64_t copy_out(std::string_view sql,
                    const std::function<void(std::string_view)>& on_chunk) override {
    const bool binary = sql.find("FORMAT binary") != std::string_view::npos;
    std::string out;
    if (binary) {
      out.append("PGCOPY\n\377\r\n\0", 11);
      put_be(out, uint32_t{0});
      put_be(out, uint32_t{0});
    }
    for (size_t i = 0; i < rows_.size(); ++i) {
      if (fail_after && i == *fail_after) {
        flush(out, on_chunk, binary);
        throw Error(ErrorKind::kSource, "unload", "fake", "ERROR:  division by zero");
      }
      if (binary) {
        binary_row(rows_[i], out);
      } else {
        text_row(rows_[i], out);
        on_chunk(out);  // one row per CopyData, as libpq hands them over
        out.clear();
      }
    }
    if (binary) {
      put_be(out, uint16_t{0xffff});
    }
    flush(out, on_chunk, binary);
    return rows_.size();
  }
  std::string describe_source() const override { return "fake"; }

 private:
  void flush(std::string& out, const std::function<void(std::string_view)>& on_chunk,
             bool binary) const {
    if (!binary) {
      return;
    }
    for (size_t p = 0; p < out.size(); p += binary_chunk) {
      on_chunk(std::string_view(out).substr(p, binary_chunk));
    }
    out.clear();
  }
  template <typename T>
  static void put_be(std::string& out, T v) {
    for (int i = static_cast<int>(sizeof(T)) - 1; i >= 0; --i) {
      out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
  }
  static void text_row(const Row& row, std::string& out) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) out += '\t';
      if (!row[c]) {
        out += "\\N";
        continue;
      }
      append_copy_text_escaped(*row[c], out);
    }
    out += '\n';
  }
  void binary_row(const Row& row, std::string& out) const {
    put_be(out, static_cast<uint16_t>(row.size()));
    for (size_t c = 0; c < row.size(); ++c) {
      if (!row[c]) {
        put_be(out, uint32_t{0xffffffff});
        continue;
      }
      const std::string& v = *row[c];
      std::string field;
      switch (columns_[c].type_oid) {
        case pg::oid::kBool:
          field = v == "t" ? std::string(1, '\1') : std::string(1, '\0');
          break;
        case pg::oid::kInt2:
          put_be(field, static_cast<uint16_t>(std::stoi(v)));
          break;
        case pg::oid::kInt4:
          put_be(field, static_cast<uint32_t>(std::stol(v)));
          break;
        case pg::oid::kInt8:
          put_be(field, static_cast<uint64_t>(std::stoll(v)));
          break;
        case pg::oid::kFloat8:
          put_be(field, std::bit_cast<uint64_t>(std::stod(v)));
          break;
        default:
          field = v;  // text, varchar
      }
      put_be(out, static_cast<uint32_t>(field.size()));
      out += field;
    }
  }

  std::vector<pg::SourceColumn> columns_;
  std::vector<Row> rows_;
};

class MemoryStore : public sink::ObjectStore {
 public:
  // Called before each operation ("write", "seal", "publish", "remove") on a key; throw to
  // fail it.
  std::function<void(const std::string& op, const std::string& key)> fault;

  std::map<std::string, std::string> objects() const {
    std::lock_guard lock(mu_);
    return objects_;
  }
  void put(const std::string& key, std::string bytes) {
    std::lock_guard lock(mu_);
    objects_[key] = std::move(bytes);
  }
  int open_writers() const { return open_; }
  int removes() const { return removes_; }

  std::vector<sink::StoredObject> list(const std::string& prefix) override {
    std::lock_guard lock(mu_);
    std::vector<sink::StoredObject> out;
    for (const auto& [k, v] : objects_) {
      if (k.rfind(prefix, 0) == 0) out.push_back({k, v.size()});
    }
    return out;
  }
  std::unique_ptr<sink::ObjectWriter> open(const std::string& key,
                                           const sink::WriteOptions&) override {
    return std::make_unique<Writer>(*this, key);
  }
  void remove(const std::vector<std::string>& keys) override {
    for (const auto& k : keys) {
      check("remove", k);
      std::lock_guard lock(mu_);
      objects_.erase(k);
      ++removes_;
    }
  }
  std::string url(const std::string& key) const override { return "mem://" + key; }
  uint64_t writer_memory() const override { return 1u << 20; }

 private:
  class Writer : public sink::ObjectWriter {
   public:
    Writer(MemoryStore& s, std::string key) : s_(s), key_(std::move(key)) { ++s_.open_; }
    ~Writer() override { abort(); }
    void write(std::string_view bytes) override {
      s_.check("write", key_);
      data_.append(bytes);
    }
    uint64_t seal() override {
      s_.check("seal", key_);
      return data_.size();
    }
    void publish(bool replace) override {
      s_.check("publish", key_);
      {
        std::lock_guard lock(s_.mu_);
        if (!replace && s_.objects_.contains(key_)) {
          done();
          throw Error(ErrorKind::kDestination, "commit", key_, "PreconditionFailed (HTTP 412)");
        }
        s_.objects_[key_] = data_;
      }
      done();
    }
    uint64_t commit() override {
      seal();
      publish(true);
      return data_.size();
    }
    void abort() noexcept override { done(); }
    uint64_t bytes_written() const override { return data_.size(); }
    const std::string& key() const override { return key_; }

   private:
    void done() {
      if (!done_) --s_.open_;
      done_ = true;
    }
    MemoryStore& s_;
    std::string key_;
    std::string data_;
    bool done_ = false;
  };
  void check(const std::string& op, const std::string& key) {
    if (fault) fault(op, key);
  }

  mutable std::mutex mu_;
  std::map<std::string, std::string> objects_;
  std::atomic<int> open_{0};
  std::atomic<int> removes_{0};
};

}  // namespace cu::test
