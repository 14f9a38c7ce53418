// The access log's lines: JSON and logfmt parse back to what was logged, hostile bytes cannot
// forge a line, and the level follows the status.
#include "http/access_log.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace folio::app {
namespace {

AccessLogEntry Entry(std::string_view target) {
  AccessLogEntry e;
  e.unix_millis = 1764672000123;  // 2025-12-02T10:40:00.123Z
  e.request_id = "req-1";
  e.client = "127.0.0.1:5000";
  e.method = "GET";
  e.target = target;
  e.route = "list_documents";
  e.status = 200;
  e.bytes = 512;
  e.duration_ms = 0.25;
  e.tier = "memory";
  return e;
}

TEST(AccessLogTest, JsonLinesParseBackToEveryField) {
  const std::string line = FormatAccessLine(LogFormat::kJson, Entry("/v1/a?b=c"));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2025-12-02T10:40:00.123Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["request_id"], "req-1");
  EXPECT_EQ(j["client"], "127.0.0.1:5000");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["target"], "/v1/a?b=c");
  EXPECT_EQ(j["route"], "list_documents");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes"], 512);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 0.25);
  EXPECT_EQ(j["tier"], "memory");
}

TEST(AccessLogTest, HostileTargetsCannotForgeALine) {
  const std::string evil = "/x\n{\"level\":\"info\"} \"quoted\" \xff\x01";
  for (LogFormat f : {LogFormat::kJson, LogFormat::kLogfmt, LogFormat::kText}) {
    const std::string line = FormatAccessLine(f, Entry(evil));
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\x01'), std::string::npos) << line;
  }
  auto j = nlohmann::json::parse(FormatAccessLine(LogFormat::kJson, Entry(evil)));
  EXPECT_EQ(j["target"].get<std::string>().substr(0, 3), "/x\n");
}

TEST(AccessLogTest, LogfmtQuotesOnlyWhatNeedsIt) {
  AccessLogEntry e = Entry("/v1/a b");
  e.status = 404;
  const std::string line = FormatAccessLine(LogFormat::kLogfmt, e);
  std::map<std::string, std::string> kv;
  size_t at = 0;
  while (at < line.size()) {
    size_t eq = line.find('=', at);
    std::string key = line.substr(at, eq - at);
    size_t end = eq + 1;
    if (line[end] == '"') {
      end = line.find('"', end + 1) + 1;
    } else {
      end = line.find(' ', end);
      if (end == std::string::npos) end = line.size();
    }
    kv[key] = line.substr(eq + 1, end - eq - 1);
    at = end + 1;
  }
  EXPECT_EQ(kv["level"], "warn");
  EXPECT_EQ(kv["target"], "\"/v1/a b\"");
  EXPECT_EQ(kv["method"], "GET");
  EXPECT_EQ(kv["status"], "404");
  EXPECT_EQ(kv["tier"], "memory");
  EXPECT_EQ(kv["request_id"], "req-1");
}

TEST(AccessLogTest, LevelFollowsStatusAndFormatsAreNamed) {
  EXPECT_STREQ(AccessLogLevel(200), "info");
  EXPECT_STREQ(AccessLogLevel(304), "info");
  EXPECT_STREQ(AccessLogLevel(404), "warn");
  EXPECT_STREQ(AccessLogLevel(503), "error");
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("logfmt"), LogFormat::kLogfmt);
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("xml").has_value());
}

}  // namespace
}  // namespace folio::app
