#pragma once
// cu::Error — the one error type every layer throws, carrying what a user needs to act:
// the step that failed (assume role, read secret, connect, unload, upload…), the resource
// (ARN, URL, host:port, path), AWS's error code and request id where there is one, and a
// hint. The CLI prints `what()` as one line and exits with `exit_code()`.
//
//   throw cu::Error(cu::ErrorKind::kSource, "connect", "db.example:5439",
//                   "password authentication failed for user \"etl\"")
//       .with_hint("check the secret's username and password");
//
// Secrets never belong in any field: callers pass names, ARNs and host:port, not values.
// As a second line of defence every message is passed through cu::redact() (redact.h).

#include <exception>
#include <string>

namespace cu {

// Exit codes are part of the command-line interface (README, "Exit codes").
enum class ErrorKind : int {
  kOther = 1,        // anything else (bugs, unexpected I/O)
  kUsage = 2,        // usage or configuration: bad flag, bad URL, invalid UNLOAD options
  kAccess = 3,       // access denied or authentication (AWS or database)
  kSource = 4,       // source database: connect, SQL error, COPY stream
  kDestination = 5,  // destination: S3 or folder cannot be written, not empty, …
};

class Error : public std::exception {
 public:
  Error(ErrorKind kind, std::string step, std::string resource, std::string message);

  Error& with_hint(std::string hint) &;
  Error&& with_hint(std::string hint) &&;
  Error& with_aws(std::string code, std::string request_id) &;
  Error&& with_aws(std::string code, std::string request_id) &&;

  ErrorKind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }
  const std::string& step() const { return step_; }
  const std::string& resource() const { return resource_; }
  const std::string& message() const { return message_; }
  const std::string& aws_code() const { return aws_code_; }
  const std::string& request_id() const { return request_id_; }
  const std::string& hint() const { return hint_; }

  // "<step> <resource>: <message> [<aws code>] (request id <id>); hint: <hint>"
  const char* what() const noexcept override { return text_.c_str(); }

 private:
  void rebuild();

  ErrorKind kind_;
  std::string step_, resource_, message_, aws_code_, request_id_, hint_, text_;
};

}  // namespace cu
