#include "unload/render.h"

#include <string_view>

#include "base/strings.h"
#include "unload/sql_text.h"

namespace cu::unload {

namespace {

// Identifiers that may be written bare and come back unchanged from the database's
// case folding; anything else is double-quoted.
bool plain_identifier(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$')) {
      return false;
    }
  }
  return true;
}

std::string quote_identifier(std::string_view s) {
  if (plain_identifier(s)) {
    return std::string(s);
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  return out + "\"";
}

constexpr std::string_view kMask = "***";

std::string render_impl(const UnloadSpec& s, bool redact) {
  std::string out = "UNLOAD (" + quote_literal(s.select) + ") TO " + quote_literal(s.destination);
  auto opt = [&out](std::string_view text) {
    out += ' ';
    out += text;
  };
  auto secret = [redact](const std::string& v) {
    return quote_literal(redact ? kMask : std::string_view(v));
  };

  if (s.authorization) {
    if (std::holds_alternative<IamRoleDefault>(*s.authorization)) {
      opt("IAM_ROLE default");
    } else if (const auto* chain = std::get_if<IamRoleChain>(&*s.authorization)) {
      opt("IAM_ROLE " + quote_literal(role_chain_text(*chain)));
    } else if (const auto* keys = std::get_if<AccessKeys>(&*s.authorization)) {
      opt("ACCESS_KEY_ID " + quote_literal(keys->access_key_id));
      opt("SECRET_ACCESS_KEY " + secret(keys->secret_access_key));
      if (keys->session_token) {
        opt("SESSION_TOKEN " + secret(*keys->session_token));
      }
    } else if (const auto* cred = std::get_if<Credentials>(&*s.authorization)) {
      opt("CREDENTIALS " + quote_literal(credentials_text(*cred, redact)));
    }
  }

  if (s.format != Format::kText) {  // text is the default and has no keyword
    opt("FORMAT AS " + upper(to_string(s.format)));
  }
  if (s.partition_by) {
    std::string cols;
    for (size_t i = 0; i < s.partition_by->columns.size(); ++i) {
      cols += (i ? ", " : "") + quote_identifier(s.partition_by->columns[i]);
    }
    opt("PARTITION BY (" + cols + ")" + (s.partition_by->include ? " INCLUDE" : ""));
  }
  if (s.manifest == Manifest::kPlain) {
    opt("MANIFEST");
  }
  if (s.manifest == Manifest::kVerbose) {
    opt("MANIFEST VERBOSE");
  }
  if (s.header) {
    opt("HEADER");
  }
  if (s.delimiter) {
    opt("DELIMITER AS " + quote_literal(*s.delimiter));
  }
  if (s.fixedwidth) {
    opt("FIXEDWIDTH AS " + quote_literal(fixedwidth_text(*s.fixedwidth)));
  }
  if (s.encrypted == Encryption::kOn) {
    opt("ENCRYPTED");
  }
  if (s.encrypted == Encryption::kAuto) {
    opt("ENCRYPTED AUTO");
  }
  if (s.kms_key_id) {
    opt("KMS_KEY_ID " + quote_literal(*s.kms_key_id));
  }
  if (s.master_symmetric_key) {
    opt("MASTER_SYMMETRIC_KEY " + secret(*s.master_symmetric_key));
  }
  if (s.compression != Compression::kNone) {
    opt(upper(to_string(s.compression)));  // GZIP, BZIP2, ZSTD
  }
  if (s.addquotes) {
    opt("ADDQUOTES");
  }
  if (s.null_as) {
    opt("NULL AS " + quote_literal(*s.null_as));
  }
  if (s.escape) {
    opt("ESCAPE");
  }
  if (s.allow_overwrite) {
    opt("ALLOWOVERWRITE");
  }
  if (s.clean_path) {
    opt("CLEANPATH");
  }
  if (s.parallel) {
    opt(*s.parallel ? "PARALLEL ON" : "PARALLEL OFF");
  }
  if (s.max_file_size) {
    opt("MAXFILESIZE AS " + format_size(*s.max_file_size));
  }
  if (s.row_group_size) {
    opt("ROWGROUPSIZE AS " + format_size(*s.row_group_size));
  }
  if (s.region) {
    opt("REGION AS " + quote_literal(*s.region));
  }
  if (s.extension) {
    opt("EXTENSION " + quote_literal(*s.extension));
  }
  return out;
}

}  // namespace

std::string render(const UnloadSpec& spec) { return render_impl(spec, false); }
std::string render_redacted(const UnloadSpec& spec) { return render_impl(spec, true); }

}  // namespace cu::unload
