#pragma once
// Parsers' error messages told without the input they quote. nlohmann's JSON errors end in
// "last read: '<the token>'" and toml++'s in "saw '<character>'" or a quoted fragment; in a
// malformed Lambda event or job file that text is the password. These keep where (the
// caller adds line and column when the parser gives them apart) and what was expected:
//
//   catch (const nlohmann::json::parse_error& e) { msg = cu::json_syntax_error(e.what()); }
//   // "parse error at line 1, column 77: syntax error while parsing value - invalid
//   //  string: missing closing quote"
//   catch (const toml::parse_error& e) { msg = cu::toml_syntax_error(e.description()); }
//   // "Error while parsing table header: expected ']'"

#include <string>
#include <string_view>

namespace cu {

// nlohmann::json's parse_error what() without its "[json.exception…] " tag and the
// "; last read: '…'" it quotes; "; expected <token>" is kept.
std::string json_syntax_error(std::string_view what);

// toml++'s parse_error description without ", saw …", and every quoted fragment as '…'
// unless it is one or two marks of punctuation (expected ']').
std::string toml_syntax_error(std::string_view description);

}  // namespace cu
