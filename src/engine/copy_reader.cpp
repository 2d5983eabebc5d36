#include "engine/copy_reader.h"

#include "engine/copy_binary_decoder.h"
#include "format/text_copy_row.h"

namespace cu::engine {
namespace {

// Calls `row` with each complete line of a text COPY stream that arrives in arbitrary
// chunks (libpq hands over one row per CopyData; any other split works too), keeping an
// incomplete tail in `pending` for the next chunk.
template <typename Row>
void for_each_copy_line(std::string& pending, std::string_view chunk, Row& row) {
  if (!pending.empty()) {
    pending.append(chunk);
    chunk = pending;
  }
  size_t pos = 0;
  while (pos < chunk.size()) {
    size_t nl = chunk.find('\n', pos);
    if (nl == std::string_view::npos) {
      break;
    }
    row(chunk.substr(pos, nl - pos));
    pos = nl + 1;
  }
  pending = std::string(chunk.substr(pos));
}

// How many rows pass between two stores of the rows read (a power of two).
constexpr uint64_t kRowsPerCount = 4096;

void count_rows(std::atomic<uint64_t>* rows_read, uint64_t rows) {
  if (rows_read) {
    rows_read->store(rows, std::memory_order_relaxed);
  }
}

// The indexes of the columns whose values the scan checks.
std::vector<size_t> scanned_columns(const unload::PiiScan* pii) {
  std::vector<size_t> out;
  if (pii) {
    for (size_t i = 0; i < pii->columns().size(); ++i) {
      if (pii->columns()[i].by_value) {
        out.push_back(i);
      }
    }
  }
  return out;
}

uint64_t read_text(pg::CopySource& source, Encoding& e, PartitionKeys& keys,
                   const std::string& prefix, Router& router, unload::PiiScan* pii,
                   std::atomic<uint64_t>* rows_read) {
  std::string pending;
  uint64_t rows = 0;
  Lane* all = keys.partitioned() ? nullptr : &router.lane(prefix);
  const std::vector<size_t> scanned = scanned_columns(pii);
  const size_t last_scanned = scanned.empty() ? 0 : scanned.back();
  format::CopyTextFields fields;
  auto row = [&](std::string_view r) {
    if (!scanned.empty()) {
      fields.reset(r);
      std::string_view value;
      bool is_null = false;
      size_t next = 0;
      for (size_t i = 0; i <= last_scanned && fields.next(value, is_null); ++i) {
        if (i == scanned[next]) {
          if (!is_null) {
            pii->add(i, value);
          }
          ++next;
        }
      }
    }
    Lane* lane = all;
    std::string_view data = r;
    if (!lane) {
      lane = &router.lane(keys.folder_of_text(r, data));
    }
    e.encoder->encode_row(data, lane->text());
    lane->added(1);
    if ((++rows & (kRowsPerCount - 1)) == 0) {
      count_rows(rows_read, rows);
    }
  };
  source.copy_out(e.copy_sql,
                  [&](std::string_view chunk) { for_each_copy_line(pending, chunk, row); });
  count_rows(rows_read, rows);
  return rows;
}

uint64_t read_binary(pg::CopySource& source, Encoding& e, PartitionKeys& keys,
                     const std::string& prefix, Router& router, unload::PiiScan* pii,
                     std::atomic<uint64_t>* rows_read) {
  const bool parquet = !e.json;
  const std::vector<size_t> scanned = scanned_columns(pii);
  Lane* all = keys.partitioned() ? nullptr : &router.lane(prefix);
  std::vector<format::ColumnType> data_types;
  for (size_t i : keys.kept_columns()) {
    data_types.push_back(e.all_types[i]);
  }
  format::ColumnBatch json_row(data_types);
  uint64_t rows = 0;
  engine::CopyBinaryDecoder decoder(e.all_types, [&](const format::ColumnBatch& b) {
    rows += b.num_rows();
    count_rows(rows_read, rows);
    for (size_t i : scanned) {
      const format::Column& c = b.column(i);
      for (size_t r = 0; r < c.size(); ++r) {
        if (!c.is_null(r)) {
          pii->add(i, c.bytes_at(r));
        }
      }
    }
    if (all) {
      if (parquet) {
        all->add_batch(b);
      } else {
        e.json->write(b, all->text());
        all->added(b.num_rows());
      }
      return;
    }
    for (size_t r = 0; r < b.num_rows(); ++r) {
      Lane& lane = router.lane(keys.folder_of_typed(b, r));
      if (parquet) {
        lane.add_typed_row(b, r, keys.kept_columns());
      } else {
        json_row.clear();
        for (size_t j = 0; j < keys.kept_columns().size(); ++j) {
          copy_value(b.column(keys.kept_columns()[j]), r, json_row.column(j));
        }
        e.json->write_row(json_row, 0, lane.text());
        lane.added(1);
      }
    }
  });
  source.copy_out(e.copy_sql, [&](std::string_view chunk) { decoder.feed(chunk); });
  decoder.finish();
  count_rows(rows_read, decoder.rows());
  return decoder.rows();
}

}  // namespace

uint64_t read_copy(pg::CopySource& source, Encoding& encoding, PartitionKeys& keys,
                   const std::string& prefix, Router& router, unload::PiiScan* pii,
                   std::atomic<uint64_t>* rows_read) {
  return encoding.binary() ? read_binary(source, encoding, keys, prefix, router, pii, rows_read)
                           : read_text(source, encoding, keys, prefix, router, pii, rows_read);
}

}  // namespace cu::engine
