// Property: parse(render(s)) == s for thousands of generated specs whose strings are built
// from hostile pieces (quotes, backslashes, \b, newlines, `')`, comment openers, UTF-8,
// empty literals, raw bytes). Deterministic: a fixed seed and our own range reduction, so
// the same specs are generated on every machine.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>

#include "base/error.h"
#include "unload/parse.h"
#include "unload/render.h"
#include "unload/unload_spec.h"

namespace {

using namespace cu::unload;

class Gen {
 public:
  explicit Gen(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t below(std::uint64_t n) { return rng_() % n; }
  bool coin() { return below(2) == 0; }

  std::string hostile(size_t max_pieces = 12) {
    static const char* pieces[] = {
        "'",    "''",       "\\",  "\\\\",  "\\'",    "\\b",  "\b",    "\n",   "\r\n",
        "\t",   "')",       "'')", "--",    "/*",     "*/",   "$$",    "E'",   ";",
        "(",    ")",        ",",   "\"",    "\"\"",   "é",    "日本",  "🙂", " ",
        "''''", "\\\\'",    "\\0", "\\101", "select", "from", "LIMIT", "x",    "NULL",
        "AS",   "IAM_ROLE", "TO",  "s3://", "%",      "\x01", "\x7f",  "\xff", "0",
    };
    std::string s;
    size_t n = below(max_pieces + 1);
    for (size_t i = 0; i < n; ++i) {
      if (below(10) == 0) {
        s += static_cast<char>(1 + below(255));  // any byte but NUL
      } else {
        s += pieces[below(std::size(pieces))];
      }
    }
    return s;
  }

  std::optional<std::string> maybe(size_t max_pieces = 6) {
    if (coin()) return std::nullopt;
    return hostile(max_pieces);
  }

  // A non-empty string without any of `seps` (chain elements, identifiers, items).
  std::string without(std::string_view seps) {
    for (;;) {
      std::string s = hostile(5);
      std::erase_if(s, [seps](char c) { return seps.find(c) != std::string_view::npos; });
      if (!s.empty()) return s;
    }
  }

  std::uint64_t size() {
    switch (below(4)) {
      case 0:
        return below(1ull << 20);  // sub-megabyte
      case 1:
        return (1 + below(6000)) << 20;  // whole megabytes
      case 2:
        return below(7ull << 30);  // any byte count up to 7 GB
      default:
        return below(UINT64_MAX / 2);  // huge
    }
  }

  UnloadSpec spec() {
    UnloadSpec s;
    s.select = hostile(40);
    s.destination = coin() ? "s3://bucket/" + hostile(4) : hostile(6);
    switch (below(5)) {
      case 0:
        break;
      case 1:
        s.authorization = IamRoleDefault{};
        break;
      case 2: {
        IamRoleChain c;
        size_t n = 1 + below(10);
        for (size_t i = 0; i < n; ++i) c.arns.push_back(without(","));
        s.authorization = c;
        break;
      }
      case 3:
        s.authorization = AccessKeys{hostile(3), hostile(3), maybe(3)};
        break;
      default: {
        // Any mix of the items; values hold anything but the `;` that separates them.
        Credentials c;
        do {
          if (coin()) {
            IamRoleChain chain;
            size_t n = 1 + below(3);
            for (size_t i = 0; i < n; ++i) chain.arns.push_back(without(",;"));
            c.aws_iam_role = chain;
          }
          if (coin()) c.aws_access_key_id = without(";");
          if (coin()) c.aws_secret_access_key = without(";");
          if (coin()) c.token = without(";");
          if (below(4) == 0) c.master_symmetric_key = without(";");
        } while (c == Credentials{});
        s.authorization = c;
        break;
      }
    }
    s.format = static_cast<Format>(below(4));
    s.delimiter = maybe(1);
    if (coin()) {
      std::vector<FixedWidthColumn> fw;
      size_t n = 1 + below(4);
      for (size_t i = 0; i < n; ++i) {
        fw.push_back({without(","), static_cast<std::uint32_t>(1 + below(999999999))});
      }
      s.fixedwidth = fw;
    }
    s.null_as = maybe();
    s.header = coin();
    s.escape = coin();
    s.addquotes = coin();
    s.compression = static_cast<Compression>(below(4));
    if (coin()) s.parallel = coin();
    if (coin()) s.max_file_size = size();
    if (coin()) s.row_group_size = size();
    if (below(3) == 0) {
      PartitionBy p;
      size_t n = 1 + below(4);
      for (size_t i = 0; i < n; ++i) {
        // Plain lower-case identifiers and anything else (which render() must quote).
        p.columns.push_back(coin() ? "col_" + std::to_string(below(100))
                                   : without(std::string_view("\0", 1)));
      }
      p.include = coin();
      s.partition_by = p;
    }
    s.manifest = static_cast<Manifest>(below(3));
    s.encrypted = static_cast<Encryption>(below(3));
    s.kms_key_id = maybe();
    s.master_symmetric_key = below(4) == 0 ? maybe() : std::nullopt;
    s.allow_overwrite = coin();
    s.clean_path = coin();
    s.region = maybe();
    s.extension = maybe();
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

TEST(RoundTrip, ParseOfRenderIsIdentity) {
  Gen gen(20261129);
  const int kSpecs = 5000;
  int failures = 0;
  for (int i = 0; i < kSpecs && failures < 5; ++i) {
    UnloadSpec s = gen.spec();
    std::string sql = render(s);
    try {
      UnloadSpec back = parse(sql);
      if (!(back == s)) {
        ++failures;
        ADD_FAILURE() << "spec #" << i << " did not survive; rendered:\n"
                      << sql << "\nre-rendered:\n"
                      << render(back);
      }
    } catch (const cu::Error& e) {
      ++failures;
      ADD_FAILURE() << "spec #" << i << ": " << e.what() << "\nrendered:\n" << sql;
    }
  }
}

TEST(RoundTrip, SelectTextSurvivesWithTrailingSemicolonAndComments) {
  Gen gen(7);
  for (int i = 0; i < 1000; ++i) {
    UnloadSpec s;
    s.select = gen.hostile(30);
    s.destination = "s3://b/p";
    s.authorization = IamRoleDefault{};
    std::string sql = "/* lead */ " + render(s) + " -- trailing\n;";
    EXPECT_EQ(parse(sql), s) << sql;
  }
}

TEST(RoundTrip, EveryPrefixOfAStatementParsesOrFailsCleanly) {
  // Truncated and garbage input must end in a cu::Error, never a crash or an overread
  // (the unit tests run under ASan/UBSan).
  Gen gen(99);
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 200; ++i) {
    std::string sql = render(gen.spec());
    for (size_t n = 0; n <= sql.size(); n += 1 + n / 16) {
      // An exact-size heap copy, so that reading one byte too far is an ASan error.
      auto buf = std::make_unique<char[]>(n);
      std::memcpy(buf.get(), sql.data(), n);
      try {
        parse(std::string_view(buf.get(), n));
        ++parsed;
      } catch (const cu::Error& e) {
        EXPECT_EQ(e.exit_code(), 2);
        ++rejected;
      }
    }
    try {
      parse(gen.hostile(30));
      ++parsed;
    } catch (const cu::Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(rejected, 0);
}

}  // namespace
