// Pieces of header-field syntax (RFC 9110 §5.6) shared by the service's header parsers.
// Header-only; thread-safe.
#pragma once

#include <string_view>

namespace folio::app {

// `s` without the optional whitespace (spaces and tabs) around it.
inline std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace folio::app
