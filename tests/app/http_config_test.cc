// ParseListen and LoadHttpConfigFile: how `folio serve` reads where to listen and its limits.
#include "http/http_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

namespace folio::app {
namespace {

TEST(ParseListenTest, HostAndPort) {
  std::string host;
  uint16_t port = 1;
  ASSERT_TRUE(ParseListen("127.0.0.1:8080", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(ParseListen("0.0.0.0:0", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(ParseListen("localhost:65535", &host, &port).ok());
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 65535);
}

TEST(ParseListenTest, BracketedIpv6) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(ParseListen("[::1]:9000", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 9000);
}

TEST(ParseListenTest, RejectsWhatIsNotHostColonPort) {
  for (const char* bad : {"", "8080", "127.0.0.1", ":8080", "127.0.0.1:", "h:65536", "h:-1",
                          "h:80x", "h:x80", "h: 80", "h:99999999999"}) {
    std::string host = "unchanged";
    uint16_t port = 7;
    Status s = ParseListen(bad, &host, &port);
    EXPECT_TRUE(s.IsInvalidArgument()) << "'" << bad << "' -> " << s.ToString();
    EXPECT_EQ(host, "unchanged") << bad;
    EXPECT_EQ(port, 7) << bad;
  }
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    path_ =
        std::filesystem::temp_directory_path() /
        ("folio_http_config_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".json");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  std::string Write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_.string();
  }
  std::filesystem::path path_;
};

TEST_F(ConfigFileTest, ReadsEveryKey) {
  HttpConfig c;
  Status s = LoadHttpConfigFile(Write(R"({
    "listen": "127.0.0.1:9999", "threads": 3, "token": "t0k", "body-limit": 1000,
    "header-limit": 2000, "url-limit": 300, "request-timeout-ms": 400, "idle-timeout-ms": 500,
    "max-connections": 6, "shutdown-grace-ms": 700, "log-level": "warn", "access-log": false,
    "data-dir": "/ignored", "db": "/ignored.sqlite"})"),
                                &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.listen, "127.0.0.1:9999");
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.token, "t0k");
  EXPECT_EQ(c.body_limit_bytes, 1000u);
  EXPECT_EQ(c.header_limit_bytes, 2000u);
  EXPECT_EQ(c.url_limit_bytes, 300u);
  EXPECT_EQ(c.request_timeout_ms, 400);
  EXPECT_EQ(c.idle_timeout_ms, 500);
  EXPECT_EQ(c.max_connections, 6);
  EXPECT_EQ(c.shutdown_grace_ms, 700);
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_FALSE(c.access_log);
}

TEST_F(ConfigFileTest, KeysNotGivenKeepTheirValues) {
  HttpConfig c;
  c.token = "from-before";
  ASSERT_TRUE(LoadHttpConfigFile(Write(R"({"threads": 2})"), &c).ok());
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.token, "from-before");
  EXPECT_EQ(c.listen, HttpConfig{}.listen);
  EXPECT_EQ(c.body_limit_bytes, HttpConfig{}.body_limit_bytes);
}

TEST_F(ConfigFileTest, UnknownKeyIsNamed) {
  HttpConfig c;
  Status s = LoadHttpConfigFile(Write(R"({"listen": "127.0.0.1:1", "lisen": "x"})"), &c);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("'lisen'"), std::string::npos) << s.message();
}

TEST_F(ConfigFileTest, WrongValueTypeIsInvalidArgument) {
  for (const char* text : {R"({"threads": "two"})", R"({"listen": 80})", R"({"access-log": "no"})",
                           R"({"body-limit": 1.5})"}) {
    HttpConfig c;
    Status s = LoadHttpConfigFile(Write(text), &c);
    EXPECT_TRUE(s.IsInvalidArgument()) << text << " -> " << s.ToString();
  }
}

TEST_F(ConfigFileTest, NegativeSizesAreRefused) {
  for (const char* text :
       {R"({"body-limit": -1})", R"({"header-limit": -1})", R"({"url-limit": -5})"}) {
    HttpConfig c;
    Status s = LoadHttpConfigFile(Write(text), &c);
    EXPECT_TRUE(s.IsInvalidArgument()) << text << " -> " << s.ToString();
  }
}

TEST_F(ConfigFileTest, NotAnObjectOrNotJson) {
  for (const char* text : {"", "[1,2]", "\"listen\"", "{\"threads\": ", "not json"}) {
    HttpConfig c;
    EXPECT_TRUE(LoadHttpConfigFile(Write(text), &c).IsInvalidArgument()) << text;
  }
}

// A config file is shared with the engine's settings (app/config.h): their keys are checked,
// and leave the HttpConfig alone.
TEST_F(ConfigFileTest, EngineKeysAreCheckedButLeaveHttpConfigAlone) {
  HttpConfig c;
  ASSERT_TRUE(LoadHttpConfigFile(Write(R"({"l1-bytes": "64MiB", "keep-versions": 3,
                                           "threads": 2, "body-limit": "2MiB"})"),
                                 &c)
                  .ok());
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.body_limit_bytes, size_t{2} << 20);
  EXPECT_EQ(c.listen, HttpConfig{}.listen);
  Status s = LoadHttpConfigFile(Write(R"({"l1-bytes": "lots"})"), &c);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("'l1-bytes'"), std::string::npos) << s.message();
}

TEST_F(ConfigFileTest, MissingFileIsAnIoError) {
  HttpConfig c;
  Status s = LoadHttpConfigFile((path_.string() + ".does-not-exist"), &c);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("does-not-exist"), std::string::npos);
}

}  // namespace
}  // namespace folio::app
