#pragma once
// Low-level Parquet encodings (apache/parquet-format Encodings.md) and page compression:
//  - the RLE / bit-packed hybrid used for definition levels and dictionary indices,
//  - PLAIN booleans (bit-packed, least significant bit first),
//  - page compression with SNAPPY, GZIP, ZSTD or none.
//
//   std::string out;
//   rle_hybrid_encode(levels.data(), levels.size(), /*bit_width=*/1, &out);

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "format/parquet_metadata.h"

namespace cu::format::parquet {

// Bits needed for values 0..max_value (0 for max_value 0).
int bit_width(uint64_t max_value);

// Appends `values` in the RLE/bit-packed hybrid encoding (no length prefix). Runs of 8 or
// more equal values become RLE runs; the rest is bit-packed in groups of 8 (the last group
// padded with zeros, which readers ignore because they know the value count).
void rle_hybrid_encode(const uint32_t* values, size_t count, int bit_width, std::string* out);
void rle_hybrid_encode(const uint8_t* values, size_t count, int bit_width, std::string* out);

// Appends `count` booleans (0/1 bytes) bit-packed, LSB first, as PLAIN encodes BOOLEAN.
void plain_encode_bools(const uint8_t* values, size_t count, std::string* out);

// Compresses one page body. `level` < 0 means the codec's default. GZIP writes a gzip
// member (RFC 1952), which is what Parquet's GZIP codec means.
void compress_page(Codec codec, int level, std::string_view input, std::string* out);

}  // namespace cu::format::parquet
