// The access log's lines: JSON and logfmt parse back to what was logged, hostile bytes cannot
// forge a line, and the level follows the status. Its writer (BackgroundFdSink): every line
// arrives whole, in order per thread; a reader that falls behind costs dropped lines, counted
// and reported in the log's format, never a blocked logger.
#include "http/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/access_log_sink.h"

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

// A pipe: the sink writes to write_fd; Drain() reads until the write end is closed.
struct Pipe {
  int read_fd = -1, write_fd = -1;
  Pipe() {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    read_fd = fds[0];
    write_fd = fds[1];
  }
  ~Pipe() {
    ::close(read_fd);
    CloseWriteEnd();
  }
  void CloseWriteEnd() {
    if (write_fd >= 0) ::close(write_fd);
    write_fd = -1;
  }
  std::string Drain() {
    std::string out;
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::read(read_fd, buffer, sizeof buffer);
      if (n <= 0) return out;
      out.append(buffer, static_cast<size_t>(n));
    }
  }
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::shared_ptr<spdlog::logger> LoggerOn(std::shared_ptr<folio::app::BackgroundFdSink> sink) {
  auto logger = std::make_shared<spdlog::logger>("access-test", sink);
  logger->set_pattern("%v");
  return logger;
}

TEST(BackgroundFdSinkTest, EveryLineArrivesWholeAndInOrderPerThread) {
  Pipe pipe;
  std::string all;
  std::thread reader([&] { all = pipe.Drain(); });
  {
    auto sink = std::make_shared<BackgroundFdSink>(pipe.write_fd, size_t{64} << 20, nullptr);
    auto logger = LoggerOn(sink);
    constexpr int kThreads = 4, kLines = 5000;
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i)
          logger->info("{{\"thread\":{},\"line\":{},\"pad\":\"{}\"}}", t, i, std::string(40, 'x'));
      });
    }
    for (auto& w : writers)
      w.join();
    logger->flush();
    EXPECT_EQ(sink->dropped(), 0u);
    // Destroying the sink closes nothing: the pipe is the test's.
  }
  pipe.CloseWriteEnd();  // the reader sees the end
  reader.join();
  std::vector<int> next(4, 0);
  size_t count = 0;
  for (const std::string& line : Lines(all)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "a torn line: " << line;
    const int t = j["thread"];
    EXPECT_EQ(j["line"].get<int>(), next[t]++) << "out of order in thread " << t;
    ++count;
  }
  EXPECT_EQ(count, 4u * 5000u);
}

TEST(BackgroundFdSinkTest, AReaderThatFallsBehindCostsCountedLinesNeverABlockedLogger) {
  Pipe pipe;
  // Nobody reads yet: the pipe's buffer (64 KiB) fills, the writer blocks in write(), and the
  // pending bytes reach their bound. Logging must go on without waiting.
  ::fcntl(pipe.write_fd, F_SETPIPE_SZ, 4096);
  auto sink = std::make_shared<BackgroundFdSink>(pipe.write_fd, 16 << 10, [](uint64_t dropped) {
    return FormatDroppedLinesNotice(LogFormat::kJson, 1764672000123, dropped);
  });
  auto logger = LoggerOn(sink);
  constexpr int kLines = 20000;
  for (int i = 0; i < kLines; ++i)
    logger->info("{{\"line\":{},\"pad\":\"{}\"}}", i, std::string(100, 'y'));
  const uint64_t dropped = sink->dropped();
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, static_cast<uint64_t>(kLines));

  std::string all;
  std::thread reader([&] { all = pipe.Drain(); });
  logger->flush();
  logger.reset();
  sink.reset();  // drains, then stops its writer
  pipe.CloseWriteEnd();
  reader.join();
  uint64_t logged = 0, reported = 0;
  int last = -1;
  for (const std::string& line : Lines(all)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "a torn line: " << line;
    if (j.contains("dropped")) {
      EXPECT_EQ(j["level"], "warn");
      reported += j["dropped"].get<uint64_t>();
      continue;
    }
    EXPECT_GT(j["line"].get<int>(), last);
    last = j["line"];
    ++logged;
  }
  EXPECT_EQ(logged + dropped, static_cast<uint64_t>(kLines));
  EXPECT_EQ(reported, dropped) << "every dropped line is reported";
}

TEST(AccessLogTest, DroppedLinesNoticeSpeaksEachFormat) {
  const auto json = nlohmann::json::parse(FormatDroppedLinesNotice(LogFormat::kJson, 0, 7));
  EXPECT_EQ(json["dropped"], 7);
  EXPECT_EQ(json["level"], "warn");
  const std::string logfmt = FormatDroppedLinesNotice(LogFormat::kLogfmt, 0, 7);
  EXPECT_NE(logfmt.find(" level=warn "), std::string::npos) << logfmt;
  EXPECT_NE(logfmt.find(" dropped=7\n"), std::string::npos) << logfmt;
  const std::string text = FormatDroppedLinesNotice(LogFormat::kText, 0, 7);
  EXPECT_NE(text.find("7 access log lines dropped"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace folio::app
