#include "http/access_log.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace folio::app {
namespace {

std::string Timestamp(int64_t unix_millis) {
  const std::time_t seconds = static_cast<std::time_t>(unix_millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char out[96];
  std::snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(unix_millis % 1000));
  return out;
}

// A JSON string literal of `text`; invalid UTF-8 becomes U+FFFD, control characters \u00XX.
std::string Quoted(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// A logfmt value: bare when it is plain, else quoted as JSON quotes it.
std::string LogfmtValue(std::string_view text) {
  bool plain = !text.empty();
  for (unsigned char c : text) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) plain = false;
  }
  return plain ? std::string(text) : Quoted(text);
}

}  // namespace

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  if (name == "logfmt") return LogFormat::kLogfmt;
  return std::nullopt;
}

const char* AccessLogLevel(unsigned status) {
  if (status >= 500) return "error";
  if (status >= 400) return "warn";
  return "info";
}

std::string FormatAccessLine(LogFormat format, const AccessLogEntry& e) {
  char duration[32];
  std::snprintf(duration, sizeof(duration), "%.3f", e.duration_ms);
  switch (format) {
    case LogFormat::kJson:
      return "{\"ts\":\"" + Timestamp(e.unix_millis) + "\",\"level\":\"" +
             AccessLogLevel(e.status) + "\",\"request_id\":" + Quoted(e.request_id) +
             ",\"client\":" + Quoted(e.client) + ",\"method\":" + Quoted(e.method) +
             ",\"target\":" + Quoted(e.target) + ",\"route\":" + Quoted(e.route) +
             ",\"status\":" + std::to_string(e.status) + ",\"bytes\":" + std::to_string(e.bytes) +
             ",\"duration_ms\":" + duration + ",\"tier\":" + Quoted(e.tier) + "}";
    case LogFormat::kLogfmt:
      return "ts=" + Timestamp(e.unix_millis) + " level=" + AccessLogLevel(e.status) +
             " request_id=" + LogfmtValue(e.request_id) + " client=" + LogfmtValue(e.client) +
             " method=" + LogfmtValue(e.method) + " target=" + LogfmtValue(e.target) +
             " route=" + LogfmtValue(e.route) + " status=" + std::to_string(e.status) +
             " bytes=" + std::to_string(e.bytes) + " duration_ms=" + duration +
             " tier=" + LogfmtValue(e.tier);
    case LogFormat::kText:
      break;
  }
  return std::string(e.method) + " " + Quoted(e.target) + " " + std::to_string(e.status) + " " +
         std::to_string(e.bytes) + "B " + duration + "ms " + std::string(e.tier) + " " +
         std::string(e.request_id);
}

std::string FormatDroppedLinesNotice(LogFormat format, int64_t unix_millis, uint64_t dropped) {
  // Built by appending: GCC 12 warns falsely (-Wrestrict) on long literal + string chains.
  constexpr std::string_view kWhat = "access log lines dropped: the log's reader fell behind";
  std::string line;
  switch (format) {
    case LogFormat::kJson:
      line.append("{\"ts\":\"").append(Timestamp(unix_millis));
      line.append("\",\"level\":\"warn\",\"msg\":\"").append(kWhat).append("\",\"dropped\":");
      line.append(std::to_string(dropped)).append("}\n");
      return line;
    case LogFormat::kLogfmt:
      line.append("ts=").append(Timestamp(unix_millis)).append(" level=warn msg=\"");
      line.append(kWhat).append("\" dropped=").append(std::to_string(dropped)).append("\n");
      return line;
    case LogFormat::kText:
      break;
  }
  line.append("[").append(Timestamp(unix_millis)).append("] [warning] ");
  line.append(std::to_string(dropped)).append(" ").append(kWhat).append("\n");
  return line;
}

}  // namespace folio::app
