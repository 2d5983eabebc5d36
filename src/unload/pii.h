#pragma once
// The personal-data guard: which values and column names look like personal data, and what
// a run does about it. One table (detectors()) holds each detector once — its name, the
// regular expression the source database runs in server mode, the exact check the engine
// runs on every value in client mode, and the column-name patterns — so the two modes can
// never drift apart:
//
//   PiiScan scan(columns, settings);        // columns of the (masked) query's result
//   scan.add(0, "ann@example.com");         // client mode: every non-null value …
//   scan.add_counts(0, detector, n, hits);  // … or server mode: the database's counts
//   std::vector<PiiFinding> f = scan.findings(masked);
//   refuse_if_flagged(f, destination);      // cu::Error(kUsage), one line per column
//
// Server mode (`sample_sql`): the query's first `sample_rows` rows are checked by the
// database itself with its POSIX regular expressions (`~`, the same in Redshift and
// PostgreSQL: bracket expressions, no backslashes), and only counts per column and detector
// come back — never a value. The regular expressions are shapes: card numbers and IBANs
// there have the right form but no Luhn / mod-97 check (those need the values). Client mode
// checks every value with the full detectors (Luhn, mod-97, address ranges).
//
// Only text-like columns (text, varchar, char, json) are checked by value; every column is
// checked by name. A column is flagged when at least `threshold` of its non-null checked
// values match one detector, or when its name matches a detector's pattern.

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"

namespace cu::unload {

enum class PiiDetector : std::uint8_t {
  kEmail,
  kPhone,
  kCard,
  kIban,
  kSsn,
  kIpv4,
  kIpv6,
  kBirthDate,  // by column name only
};
inline constexpr std::size_t kPiiDetectors = 8;

struct PiiDetectorInfo {
  PiiDetector id;
  std::string_view name;  // "email", as messages and the report say it
  // Server mode: a POSIX regular expression (no backslash, no quote) matched with `~`
  // anywhere in the value; empty for a detector by column name only.
  std::string_view sql_regex;
  // Client mode: whether the value holds such a thing anywhere (null: name only).
  bool (*matches)(std::string_view value);
  // Column-name patterns, matched against each word of the lower-cased name (words split at
  // anything but letters and digits): "ssn" the word itself, "birth*" a word starting so,
  // "*card" ending so, "*email*" containing it.
  std::vector<std::string_view> name_patterns;
};

// Every detector, in PiiDetector order.
const std::vector<PiiDetectorInfo>& detectors();
const PiiDetectorInfo& detector(PiiDetector id);

// The individual checks (exposed for their unit tests).
bool luhn_valid(std::string_view digits);         // digits only
bool iban_checksum_valid(std::string_view iban);  // letters and digits, no blanks
// The detector whose name patterns `column` matches, if any (the first in table order).
std::optional<PiiDetector> detector_by_name(std::string_view column);

enum class PiiPolicy { kRefuse, kWarn, kOff };
inline constexpr Keyword<PiiPolicy> kPiiPolicyWords[] = {
    {PiiPolicy::kRefuse, "refuse"}, {PiiPolicy::kWarn, "warn"}, {PiiPolicy::kOff, "off"}};

struct PiiSettings {
  PiiPolicy policy = PiiPolicy::kRefuse;
  std::set<std::string> allow;        // allow_pii: columns that may hold personal data
  std::uint64_t sample_rows = 10000;  // server mode: rows the database checks
  double threshold = 0.05;            // share of non-null checked values
};

// "5%", "0.5 %", "5" (percent) → the share (0.05). nullopt unless 0 < share <= 100 %.
std::optional<double> parse_pii_threshold(std::string_view text);

struct PiiColumn {
  std::string name;
  bool by_value = false;  // a text-like column whose values are checked
  bool json = false;      // json/jsonb: cast to text for the server's regex
};

// What was found in one column, and what the run does about it.
struct PiiFinding {
  std::string column;
  std::string detector;       // "email", …
  bool by_name = false;       // the column's name matched
  std::uint64_t matched = 0;  // values that matched `detector`
  std::uint64_t checked = 0;  // non-null values checked
  double share = 0;           // matched / checked (0 when nothing was checked)
  std::string decision;       // "refused" | "allowed" | "warned"
};

// Counts per column and detector; flags columns against the settings.
class PiiScan {
 public:
  PiiScan(std::vector<PiiColumn> columns, PiiSettings settings);

  const std::vector<PiiColumn>& columns() const { return columns_; }
  const PiiSettings& settings() const { return settings_; }

  // Client mode: one non-null value of column `i` (a by_value column).
  void add(std::size_t i, std::string_view value);
  // Server mode: the database's counts for column `i`.
  void set_counts(std::size_t i, std::uint64_t checked,
                  const std::array<std::uint64_t, kPiiDetectors>& matched);

  // Flagged columns, in column order, each with its most frequent detector; columns in
  // `masked` are skipped (the database masks them before any row leaves it). Each finding's
  // decision follows the settings: allow_pii → "allowed", policy warn → "warned", else
  // "refused".
  std::vector<PiiFinding> findings(const std::set<std::string>& masked = {}) const;

 private:
  std::vector<PiiColumn> columns_;
  PiiSettings settings_;
  std::vector<std::uint64_t> checked_;
  std::vector<std::array<std::uint64_t, kPiiDetectors>> matched_;
};

// The one query of the server-mode check: at most `settings.sample_rows` rows of `select`,
// one count of non-null values per by_value column and one count per (column, detector)
// with a regex, in that order — columns × (1 + detectors with a regex) values in one row.
std::string sample_sql(std::string_view select, const PiiScan& scan);
// Reads that row's values (as text; NULL for a sum over no rows) into the scan.
void read_sample_counts(PiiScan& scan, const std::vector<std::optional<std::string>>& row);

// One line per finding: `column email: email in 98.0 % of 4,990 checked values (and by its
// name) — refused; mask it (--mask email=hash) or allow it (--allow-pii email)`. No value.
std::string describe(const PiiFinding& f);

// Throws cu::Error(kUsage, "pii check", `resource`) listing the refused findings, one line
// each, when there is any; does nothing otherwise.
void refuse_if_flagged(const std::vector<PiiFinding>& findings, const std::string& resource);

}  // namespace cu::unload
