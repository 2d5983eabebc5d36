#include "base/error.h"

#include "base/redact.h"
#include "base/strings.h"

namespace cu {

Error::Error(ErrorKind kind, std::string step, std::string resource, std::string message)
    : kind_(kind),
      step_(std::move(step)),
      resource_(std::move(resource)),
      message_(std::move(message)) {
  rebuild();
}

Error& Error::with_hint(std::string hint) & {
  hint_ = std::move(hint);
  rebuild();
  return *this;
}
Error&& Error::with_hint(std::string hint) && { return std::move(with_hint(std::move(hint))); }

Error& Error::with_aws(std::string code, std::string request_id) & {
  aws_code_ = std::move(code);
  request_id_ = std::move(request_id);
  rebuild();
  return *this;
}
Error&& Error::with_aws(std::string code, std::string request_id) && {
  return std::move(with_aws(std::move(code), std::move(request_id)));
}

void Error::rebuild() {
  std::string t = step_;
  if (!resource_.empty()) {
    t += (t.empty() ? "" : " ") + resource_;
  }
  t += t.empty() ? "" : ": ";
  t += message_;
  if (!aws_code_.empty()) {
    t += " [" + aws_code_ + "]";
  }
  if (!request_id_.empty()) {
    t += " (request id " + request_id_ + ")";
  }
  if (!hint_.empty()) {
    t += "; hint: " + hint_;
  }
  // Redacted first (a secret is matched as given), then control bytes escaped: an error
  // may quote input, and it is printed to terminals and logs.
  text_ = escape_controls(redact(t));
}

}  // namespace cu
