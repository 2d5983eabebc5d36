#include "unload/parse.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/redact.h"
#include "unload/sql_lexer.h"
#include "unload/sql_text.h"

namespace cu::unload {

namespace {

constexpr const char* kStep = "parse UNLOAD";

[[noreturn]] void fail(size_t pos, const std::string& message) {
  throw Error(ErrorKind::kUsage, kStep, "", fmt::format("{} at position {}", message, pos + 1));
}

enum class Tok {
  kWord,
  kNumber,
  kString,
  kQuotedIdent,
  kLParen,
  kRParen,
  kComma,
  kSemicolon,
  kOther,  // anything else: always a syntax error
  kEnd
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // word: upper case; string / quoted identifier: its value; else raw
  size_t pos = 0;    // byte offset of the first character
  std::string raw;   // the source text, for "at or near"
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// The one SQL lexer (sql_lexer.h) in Redshift's reading, as the tokens the grammar needs.
// Lexing is lazy so that a syntax error is reported at the first offending token, as
// PostgreSQL does, not at a later quote or comment the lexer cannot close.
class Lexer {
 public:
  explicit Lexer(std::string_view sql) : lex_(sql, sql::Dialect::kRedshift) {}

  Token next() {
    const sql::Token s = lex_.next();
    Token t;
    t.pos = s.pos;
    t.raw = std::string(s.text);
    switch (s.kind) {
      case sql::TokenKind::kEnd:
        break;
      case sql::TokenKind::kError:
        fail(s.pos, sql::describe(s.error));
      case sql::TokenKind::kString:
        t.kind = Tok::kString;
        t.text = sql::value_of(s);
        break;
      case sql::TokenKind::kQuotedIdent:
        t.kind = Tok::kQuotedIdent;
        t.text = sql::value_of(s);
        if (t.text.empty()) {
          fail(s.pos, "zero-length delimited identifier");
        }
        break;
      case sql::TokenKind::kNumber:
        t.kind = Tok::kNumber;
        t.text = t.raw;
        break;
      case sql::TokenKind::kWord:
        t.kind = Tok::kWord;
        t.text = upper(s.text);
        break;
      case sql::TokenKind::kSymbol:
        if (s.is_symbol('(') || s.is_symbol(')') || s.is_symbol(',') || s.is_symbol(';')) {
          t.kind = s.is_symbol('(')   ? Tok::kLParen
                   : s.is_symbol(')') ? Tok::kRParen
                   : s.is_symbol(',') ? Tok::kComma
                                      : Tok::kSemicolon;
          t.text = t.raw;
          break;
        }
        [[fallthrough]];
      case sql::TokenKind::kDollarString:
      case sql::TokenKind::kParam:
        t.kind = Tok::kOther;
        break;
    }
    return t;
  }

 private:
  sql::Lexer lex_;
};

class Parser {
 public:
  explicit Parser(std::string_view sql) : lexer_(sql) {}

  UnloadSpec run() {
    expect_word("UNLOAD");
    expect(Tok::kLParen, "(");
    spec_.select = expect_string("the select text");
    expect(Tok::kRParen, ")");
    expect_word("TO");
    spec_.destination = expect_string("the destination");

    bool comma_allowed = false;
    while (peek().kind != Tok::kEnd && peek().kind != Tok::kSemicolon) {
      if (peek().kind == Tok::kComma && comma_allowed) {
        next();  // `[ option, ... ]` in the current syntax box (spec OPEN-1)
        comma_allowed = false;
        continue;
      }
      option();
      comma_allowed = true;
    }
    if (peek().kind == Tok::kSemicolon) {
      next();
    }
    if (peek().kind != Tok::kEnd) {
      syntax_error(peek());
    }
    finish_authorization();
    return std::move(spec_);
  }

 private:
  const Token& peek() {
    if (!ahead_) {
      ahead_ = lexer_.next();
    }
    return *ahead_;
  }
  // Returns the current token and moves on; the returned copy stays valid.
  Token next() {
    Token t = peek();
    if (t.kind != Tok::kEnd) {
      ahead_.reset();
    }
    return t;
  }
  bool peek_word(std::string_view w) { return peek().kind == Tok::kWord && peek().text == w; }
  bool accept_word(std::string_view w) {
    if (!peek_word(w)) {
      return false;
    }
    next();
    return true;
  }

  [[noreturn]] static void syntax_error(const Token& t) {
    if (t.kind == Tok::kEnd) {
      fail(t.pos, "syntax error at end of input");
    }
    // A quoted string is never shown: one in the wrong place may be a secret key.
    if (t.kind == Tok::kString || t.raw.starts_with("$")) {
      fail(t.pos, "syntax error at or near a quoted string");
    }
    std::string near = t.raw.size() > 40 ? t.raw.substr(0, 40) + "..." : t.raw;
    fail(t.pos, fmt::format("syntax error at or near \"{}\"", near));
  }

  void expect(Tok kind, std::string_view) {
    if (peek().kind != kind) {
      syntax_error(peek());
    }
    next();
  }
  void expect_word(std::string_view w) {
    if (!peek_word(w)) {
      syntax_error(peek());
    }
    next();
  }
  std::string expect_string(std::string_view) {
    if (peek().kind != Tok::kString) {
      syntax_error(peek());
    }
    return next().text;
  }
  // The quoted secret after `option`, registered for redaction. Whatever stands there
  // instead is not shown: it may be the secret, unquoted.
  std::string expect_secret(std::string_view option) {
    if (peek().kind != Tok::kString) {
      fail(peek().pos, fmt::format("{} takes a quoted string", option));
    }
    std::string v = next().text;
    register_secret(v);
    return v;
  }

  // An argument read into its typed form; an error there is reported at the argument.
  template <typename Read>
  static auto typed(size_t at, Read read) {
    try {
      return read();
    } catch (const Error& e) {
      throw Error(ErrorKind::kUsage, kStep, e.resource(),
                  fmt::format("{} at position {}", e.message(), at + 1))
          .with_hint(e.hint());
    }
  }

  // Records that `name` was given; a second time is PostgreSQL's "conflicting or redundant
  // options" (the model holds one value per option).
  void once(const std::string& name, const Token& at) {
    if (!seen_.insert(name).second) {
      fail(at.pos, fmt::format("conflicting or redundant options: {} given twice", name));
    }
  }

  std::uint64_t size_value(const std::string& option) {
    accept_word("AS");
    const Token num = peek();
    if (num.kind != Tok::kNumber) {
      syntax_error(num);
    }
    next();
    std::string unit;
    if (peek_word("MB") || peek_word("GB")) {
      unit = next().text;
    }
    auto bytes = parse_size(num.text, unit);
    if (!bytes) {
      fail(num.pos, fmt::format("invalid {} value \"{}\"", option, num.raw));
    }
    return *bytes;
  }

  void set_format(Format f, const Token& at) {
    once("FORMAT", at);
    spec_.format = f;
  }

  void set_compression(Compression c, const Token& at) {
    if (spec_.compression != Compression::kNone && spec_.compression != c) {
      fail(at.pos, fmt::format("conflicting or redundant options: {} with {}",
                               upper(to_string(spec_.compression)), at.text));
    }
    once(at.text, at);
    spec_.compression = c;
  }

  // Exactly one authorization method (spec §1.2); the model cannot hold two.
  void authorization(const std::string& method, const Token& at) {
    const std::string keyword = at.text == "WITH" ? "CREDENTIALS" : at.text;
    if (!auth_method_.empty() && auth_method_ != method) {
      fail(at.pos, fmt::format("{} cannot be combined with {}", auth_keyword_, keyword));
    }
    if (auth_method_.empty()) {
      auth_keyword_ = keyword;
    }
    auth_method_ = method;
  }

  void option() {
    const Token t = peek();
    if (t.kind != Tok::kWord) {
      syntax_error(t);
    }
    const std::string kw = t.text;
    next();
    if (kw == "FORMAT") {
      accept_word("AS");
      const Token f = peek();
      if (f.kind == Tok::kWord && (f.text == "CSV" || f.text == "JSON" || f.text == "PARQUET")) {
        next();
        set_format(f.text == "CSV"    ? Format::kCsv
                   : f.text == "JSON" ? Format::kJson
                                      : Format::kParquet,
                   t);
      } else {
        syntax_error(f);
      }
    } else if (kw == "CSV") {
      set_format(Format::kCsv, t);
    } else if (kw == "JSON") {
      set_format(Format::kJson, t);
    } else if (kw == "PARQUET") {
      set_format(Format::kParquet, t);
    } else if (kw == "PARTITION") {
      once("PARTITION BY", t);
      expect_word("BY");
      expect(Tok::kLParen, "(");
      PartitionBy pb;
      for (;;) {
        const Token c = peek();
        if (c.kind == Tok::kWord) {
          pb.columns.push_back(lower(c.raw));
        } else if (c.kind == Tok::kQuotedIdent) {
          pb.columns.push_back(c.text);
        } else {
          syntax_error(c);
        }
        next();
        if (peek().kind == Tok::kComma) {
          next();
          continue;
        }
        expect(Tok::kRParen, ")");
        break;
      }
      pb.include = accept_word("INCLUDE");
      spec_.partition_by = std::move(pb);
    } else if (kw == "MANIFEST") {
      once(kw, t);
      spec_.manifest = accept_word("VERBOSE") ? Manifest::kVerbose : Manifest::kPlain;
    } else if (kw == "HEADER") {
      once(kw, t);
      spec_.header = true;
    } else if (kw == "DELIMITER") {
      once(kw, t);
      accept_word("AS");
      spec_.delimiter = expect_string(kw);
    } else if (kw == "FIXEDWIDTH") {
      once(kw, t);
      accept_word("AS");
      const size_t at = peek().pos;
      std::string text = expect_string(kw);
      spec_.fixedwidth = typed(at, [&text] { return parse_fixedwidth(text); });
    } else if (kw == "ENCRYPTED") {
      once(kw, t);
      spec_.encrypted = accept_word("AUTO") ? Encryption::kAuto : Encryption::kOn;
    } else if (kw == "KMS_KEY_ID") {
      once(kw, t);
      spec_.kms_key_id = expect_string(kw);
    } else if (kw == "MASTER_SYMMETRIC_KEY") {
      once(kw, t);
      spec_.master_symmetric_key = expect_secret(kw);
    } else if (kw == "GZIP") {
      set_compression(Compression::kGzip, t);
    } else if (kw == "BZIP2") {
      set_compression(Compression::kBzip2, t);
    } else if (kw == "ZSTD") {
      set_compression(Compression::kZstd, t);
    } else if (kw == "ADDQUOTES") {
      once(kw, t);
      spec_.addquotes = true;
    } else if (kw == "NULL") {
      once(kw, t);
      accept_word("AS");
      spec_.null_as = expect_string(kw);
    } else if (kw == "ESCAPE") {
      once(kw, t);
      spec_.escape = true;
    } else if (kw == "ALLOWOVERWRITE") {
      once(kw, t);
      spec_.allow_overwrite = true;
    } else if (kw == "CLEANPATH") {
      once(kw, t);
      spec_.clean_path = true;
    } else if (kw == "PARALLEL") {
      once(kw, t);
      // Bare PARALLEL means on (spec §1.3).
      bool off = accept_word("OFF") || accept_word("FALSE");
      if (!off && !accept_word("ON")) {
        accept_word("TRUE");
      }
      spec_.parallel = !off;
    } else if (kw == "MAXFILESIZE") {
      once(kw, t);
      spec_.max_file_size = size_value(kw);
    } else if (kw == "ROWGROUPSIZE") {
      once(kw, t);
      spec_.row_group_size = size_value(kw);
    } else if (kw == "REGION") {
      once(kw, t);
      accept_word("AS");
      spec_.region = expect_string(kw);
    } else if (kw == "EXTENSION") {
      once(kw, t);
      spec_.extension = expect_string(kw);
    } else if (kw == "IAM_ROLE") {
      once(kw, t);
      authorization("IAM_ROLE", t);
      if (accept_word("DEFAULT")) {
        spec_.authorization = IamRoleDefault{};
      } else {
        spec_.authorization = role_chain(expect_string(kw));
      }
    } else if (kw == "ACCESS_KEY_ID" || kw == "SECRET_ACCESS_KEY" || kw == "SESSION_TOKEN") {
      once(kw, t);
      authorization("keys", t);
      if (kw == "ACCESS_KEY_ID") {
        keys_.access_key_id = expect_string(kw);
      } else if (kw == "SECRET_ACCESS_KEY") {
        keys_.secret_access_key = expect_secret(kw);
      } else {
        keys_.session_token = expect_secret(kw);
      }
      key_positions_[kw] = t.pos;
    } else if (kw == "WITH" || kw == "CREDENTIALS") {
      if (kw == "WITH") {
        expect_word("CREDENTIALS");
      }
      once("CREDENTIALS", t);
      authorization("CREDENTIALS", t);
      accept_word("AS");
      const size_t at = peek().pos;
      std::string text = expect_secret("CREDENTIALS");
      spec_.authorization = typed(at, [&text] { return parse_credentials(text); });
    } else {
      syntax_error(t);
    }
  }

  static std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
    }
    return out;
  }

  // SESSION_TOKEN requires both keys; ACCESS_KEY_ID and SECRET_ACCESS_KEY go together.
  void finish_authorization() {
    if (auth_method_ != "keys") {
      return;
    }
    bool id = key_positions_.count("ACCESS_KEY_ID") > 0;
    bool secret = key_positions_.count("SECRET_ACCESS_KEY") > 0;
    if (!id || !secret) {
      size_t at = key_positions_.begin()->second;
      fail(at, keys_.session_token
                   ? "SESSION_TOKEN requires both ACCESS_KEY_ID and SECRET_ACCESS_KEY"
                   : "ACCESS_KEY_ID and SECRET_ACCESS_KEY must be given together");
    }
    spec_.authorization = keys_;
  }

  Lexer lexer_;
  std::optional<Token> ahead_;
  UnloadSpec spec_;
  std::set<std::string> seen_;
  std::string auth_method_, auth_keyword_;
  AccessKeys keys_;
  std::map<std::string, size_t> key_positions_;
};

}  // namespace

UnloadSpec parse(std::string_view sql) { return Parser(sql).run(); }

}  // namespace cu::unload
