#include "http/request_target.h"

#include "folio/base/text_checks.h"

namespace folio::app {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return Status::InvalidArgument("URL has a truncated %-escape");
      }
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return Status::InvalidArgument("URL has a bad %-escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

const std::string* RequestTarget::Param(std::string_view key) const {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

Result<RequestTarget> ParseRequestTarget(std::string_view target) {
  if (target.empty() || target[0] != '/') {
    return Status::InvalidArgument("request target must be an absolute path");
  }
  RequestTarget out;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view seg = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!seg.empty()) {
      auto decoded = Decode(seg, false);
      if (!decoded.ok()) return decoded.status();
      if (!IsValidUtf8(*decoded)) {
        return Status::InvalidArgument("URL path segment " +
                                       std::to_string(out.segments.size() + 1) +
                                       " is not valid UTF-8 once percent-decoded");
      }
      out.segments.push_back(std::move(*decoded));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = Decode(pair.substr(0, eq), true);
    if (!key.ok()) return key.status();
    if (!IsValidUtf8(*key)) {
      return Status::InvalidArgument(
          "a query parameter name is not valid UTF-8 once "
          "percent-decoded");
    }
    std::string value;
    if (eq != std::string_view::npos) {
      auto v = Decode(pair.substr(eq + 1), true);
      if (!v.ok()) return v.status();
      if (!IsValidUtf8(*v)) {
        return Status::InvalidArgument("query parameter '" + *key +
                                       "' is not valid UTF-8 once percent-decoded");
      }
      value = std::move(*v);
    }
    out.params.emplace_back(std::move(*key), std::move(value));
  }
  return out;
}

}  // namespace folio::app
