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
  kEnd
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // word: upper case; string / quoted identifier: unescaped; else raw
  size_t pos = 0;    // byte offset of the first character
  std::string raw;   // the source text, for "at or near"
};

bool is_word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_word_char(char c) {
  return is_word_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}
bool is_octal(char c) { return c >= '0' && c <= '7'; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

class Lexer {
 public:
  explicit Lexer(std::string_view sql) : s_(sql) {}

  // The next token; lexing is lazy so that a syntax error is reported at the first
  // offending token, as PostgreSQL does, not at a later character the lexer cannot read.
  Token next() {
    skip_space_and_comments();
    Token t;
    t.pos = i_;
    if (i_ >= s_.size()) {
      return t;  // kEnd
    }
    char c = s_[i_];
    if (c == '\'') {
      t.kind = Tok::kString;
      t.text = string_literal();
    } else if (c == '"') {
      t.kind = Tok::kQuotedIdent;
      t.text = quoted_identifier();
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i_ + 1 < s_.size() &&
                std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
      t.kind = Tok::kNumber;
      bool dot = false;
      while (i_ < s_.size() &&
             (std::isdigit(static_cast<unsigned char>(s_[i_])) || (s_[i_] == '.' && !dot))) {
        if (s_[i_] == '.') {
          dot = true;
        }
        ++i_;
      }
      t.text = std::string(s_.substr(t.pos, i_ - t.pos));
    } else if (is_word_start(c)) {
      t.kind = Tok::kWord;
      while (i_ < s_.size() && is_word_char(s_[i_])) {
        ++i_;
      }
      t.text = upper(s_.substr(t.pos, i_ - t.pos));
    } else if (c == '(' || c == ')' || c == ',' || c == ';') {
      t.kind = c == '('   ? Tok::kLParen
               : c == ')' ? Tok::kRParen
               : c == ',' ? Tok::kComma
                          : Tok::kSemicolon;
      t.text = std::string(1, c);
      ++i_;
    } else {
      fail(i_, fmt::format("syntax error at or near \"{}\"", std::string(1, c)));
    }
    t.raw = std::string(s_.substr(t.pos, i_ - t.pos));
    return t;
  }

 private:
  void skip_space_and_comments() {
    for (;;) {
      while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) {
        ++i_;
      }
      if (s_.substr(i_, 2) == "--") {
        while (i_ < s_.size() && s_[i_] != '\n') {
          ++i_;
        }
      } else if (s_.substr(i_, 2) == "/*") {
        size_t start = i_;
        int depth = 0;
        do {
          if (i_ >= s_.size()) {
            fail(start, "unterminated /* comment");
          }
          if (s_.substr(i_, 2) == "/*") {
            ++depth;
            i_ += 2;
          } else if (s_.substr(i_, 2) == "*/") {
            --depth;
            i_ += 2;
          } else {
            ++i_;
          }
        } while (depth > 0);
      } else {
        return;
      }
    }
  }

  // Spec §2.4: a Redshift (PostgreSQL 8.0) string literal with backslash escapes.
  std::string string_literal() {
    size_t start = i_++;
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) {
        fail(start,
             fmt::format("unterminated quoted string at or near \"{}\"", s_.substr(start, 20)));
      }
      char c = s_[i_++];
      if (c == '\'') {
        if (i_ < s_.size() && s_[i_] == '\'') {
          out += '\'';
          ++i_;
          continue;
        }
        return out;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) {
        continue;  // reported as unterminated on the next turn
      }
      char e = s_[i_++];
      switch (e) {
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        default:
          if (is_octal(e)) {
            int v = e - '0';
            for (int k = 0; k < 2 && i_ < s_.size() && is_octal(s_[i_]); ++k) {
              v = v * 8 + (s_[i_++] - '0');
            }
            out += static_cast<char>(v & 0xFF);
          } else {
            out += e;
          }
      }
    }
  }

  std::string quoted_identifier() {
    size_t start = i_++;
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) {
        fail(start,
             fmt::format("unterminated quoted identifier at or near \"{}\"", s_.substr(start, 20)));
      }
      char c = s_[i_++];
      if (c == '"') {
        if (i_ < s_.size() && s_[i_] == '"') {
          out += '"';
          ++i_;
          continue;
        }
        if (out.empty()) {
          fail(start, "zero-length delimited identifier");
        }
        return out;
      }
      out += c;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
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
      spec_.fixedwidth = expect_string(kw);
    } else if (kw == "ENCRYPTED") {
      once(kw, t);
      spec_.encrypted = accept_word("AUTO") ? Encryption::kAuto : Encryption::kOn;
    } else if (kw == "KMS_KEY_ID") {
      once(kw, t);
      spec_.kms_key_id = expect_string(kw);
    } else if (kw == "MASTER_SYMMETRIC_KEY") {
      once(kw, t);
      spec_.master_symmetric_key = expect_string(kw);
      register_secret(*spec_.master_symmetric_key);
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
        IamRoleChain chain;
        std::string text = expect_string(kw);
        size_t start = 0;
        for (;;) {
          size_t comma = text.find(',', start);
          chain.arns.push_back(text.substr(start, comma - start));
          if (comma == std::string::npos) {
            break;
          }
          start = comma + 1;
        }
        spec_.authorization = std::move(chain);
      }
    } else if (kw == "ACCESS_KEY_ID" || kw == "SECRET_ACCESS_KEY" || kw == "SESSION_TOKEN") {
      once(kw, t);
      authorization("keys", t);
      std::string v = expect_string(kw);
      if (kw == "ACCESS_KEY_ID") {
        keys_.access_key_id = v;
      }
      if (kw == "SECRET_ACCESS_KEY") {
        keys_.secret_access_key = v;
      }
      if (kw == "SESSION_TOKEN") {
        keys_.session_token = v;
      }
      if (kw != "ACCESS_KEY_ID") {
        register_secret(v);
      }
      key_positions_[kw] = t.pos;
    } else if (kw == "WITH" || kw == "CREDENTIALS") {
      if (kw == "WITH") {
        expect_word("CREDENTIALS");
      }
      once("CREDENTIALS", t);
      authorization("CREDENTIALS", t);
      accept_word("AS");
      std::string text = expect_string("CREDENTIALS");
      register_credentials_secrets(text);
      spec_.authorization = CredentialsString{std::move(text)};
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

  static void register_credentials_secrets(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find(';', pos);
      if (end == std::string_view::npos) {
        end = text.size();
      }
      std::string_view item = text.substr(pos, end - pos);
      size_t eq = item.find('=');
      if (eq != std::string_view::npos) {
        std::string_view key = item.substr(0, eq);
        if (key == "aws_secret_access_key" || key == "token" || key == "master_symmetric_key") {
          register_secret(item.substr(eq + 1));
        }
      }
      pos = end + 1;
    }
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
