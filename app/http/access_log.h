// The access log's line for one answered request, in the format `--log-format` picks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace folio::app {

enum class LogFormat { kText, kJson, kLogfmt };

// "text", "json" or "logfmt"; nullopt for anything else.
std::optional<LogFormat> ParseLogFormat(std::string_view name);

struct AccessLogEntry {
  int64_t unix_millis = 0;  // when the answer was written
  std::string_view request_id;
  std::string_view client;  // "ip:port"
  std::string_view method;
  std::string_view target;  // as the client sent it (escaped in the line)
  std::string_view route;   // folio's name for it ("list_documents", "unmatched", …)
  unsigned status = 0;
  uint64_t bytes = 0;  // written, header included
  double duration_ms = 0;
  std::string_view tier;  // "memory", "kv", "database", or "-"
};

// The severity a line is logged at: 5xx error, 4xx warn, else info (spdlog's names).
const char* AccessLogLevel(unsigned status);

// One line, without its newline. json: an object with ts (RFC 3339, UTC, milliseconds), level,
// request_id, client, method, target, route, status, bytes, duration_ms, tier. logfmt: the same
// keys as key=value, values quoted when they need it. text: "method target status bytesB
// duration ms tier id", the rest being in the logger's own prefix. Bytes that are not UTF-8 or
// are control characters are escaped, so a hostile target cannot forge a line. Thread-safe.
std::string FormatAccessLine(LogFormat format, const AccessLogEntry& entry);

// The line (with its newline) that stands for `dropped` access log lines the reader of the
// log fell too far behind for, in `format`, at `unix_millis`.
std::string FormatDroppedLinesNotice(LogFormat format, int64_t unix_millis, uint64_t dropped);

}  // namespace folio::app
