#pragma once
// Small pieces of Redshift SQL text shared by render, parse and the job configuration:
// string literals escaped for Redshift's backslash-escaping literals (spec §2.2), and the
// `<decimal> [MB|GB]` sizes of MAXFILESIZE / ROWGROUPSIZE.
//
//   quote_literal("it's C:\\tmp")   -> 'it''s C:\\\\tmp'   (backslash doubled, then quote)
//   format_size(256 << 20)          -> "256 MB"
//   parse_size("6.2", "GB")         -> 6657199308   (floor of 6.2 * 2^30)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cu::unload {

// `'` + text with every `\` doubled and then every `'` doubled + `'`. Never E'…' (it does
// not exist on Redshift) and never $$ (undocumented).
std::string quote_literal(std::string_view text);

// PostgreSQL's `E'…'` literal of `text` (`\` and `'` doubled): the same value whatever
// standard_conforming_strings says. For SQL sent to PostgreSQL, never to Redshift.
std::string e_literal(std::string_view text);

// Megabytes and gigabytes are binary (2^20 and 2^30 bytes), as sqlalchemy-redshift
// observed on real clusters (spec §4.4).
inline constexpr std::uint64_t kMB = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kGB = std::uint64_t{1} << 30;

// The shortest `<decimal> MB|GB` text that parse_size() reads back as exactly `bytes`.
std::string format_size(std::uint64_t bytes);

// `number` is a decimal (`256`, `6.2`, `.5`); `unit` is empty (= MB), "MB" or "GB", any
// case. Returns floor(number * unit) in bytes, or nullopt if the text is not such a number
// or the value does not fit in 64 bits.
std::optional<std::uint64_t> parse_size(std::string_view number, std::string_view unit);

// Reads a whole size such as "256 MB", "64MB", "6.2 gb" or "100" (MB). nullopt if invalid.
std::optional<std::uint64_t> parse_size_text(std::string_view text);

}  // namespace cu::unload
