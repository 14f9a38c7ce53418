// app/config: the settings table, and how defaults, the config file, FOLIO_* variables and
// flags resolve into folio::Options and HttpConfig.
#include "config.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "http/access_log.h"
#include "support/temp_dir.h"

namespace folio::app {
namespace {

using nlohmann::json;

// Every variable folio reads, cleared for the test and restored after it, so neither the
// caller's environment nor another test leaks in.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> vars = {kConfigFileEnvVar};
    for (const Setting& s : Settings())
      vars.push_back(s.EnvVar());
    for (const std::string& var : vars) {
      const char* value = std::getenv(var.c_str());
      saved_.emplace_back(var, value ? std::optional<std::string>(value) : std::nullopt);
      ::unsetenv(var.c_str());
    }
  }
  void TearDown() override {
    for (const auto& [var, value] : saved_) {
      if (value) {
        ::setenv(var.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(var.c_str());
      }
    }
  }

  static void SetEnv(const std::string& var, const std::string& value) {
    ::setenv(var.c_str(), value.c_str(), 1);
  }

  std::string WriteFile(const std::string& text, const std::string& name = "folio.json") {
    const std::string path = (dir_.path() / name).string();
    std::ofstream(path) << text;
    return path;
  }

  static Result<Config> Resolve(std::map<std::string, std::string, std::less<>> flags = {},
                                std::string file = "") {
    return ResolveConfig({std::move(file), std::move(flags)});
  }

  // The error of resolving, which must be InvalidArgument.
  static std::string Rejected(const Result<Config>& r) {
    EXPECT_FALSE(r.ok());
    if (r.ok()) return "";
    EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    return r.status().message();
  }

  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
  test::TempDir dir_{"folio_config"};
};

// ---- The table ----

TEST_F(ConfigTest, TableNamesAreUniqueAndVariablesFollowThem) {
  std::set<std::string> names;
  for (const Setting& s : Settings()) {
    EXPECT_TRUE(names.insert(std::string(s.name)).second) << s.name;
    EXPECT_FALSE(s.help.empty()) << s.name;
    EXPECT_EQ(FindSetting(s.name), &s);
  }
  EXPECT_EQ(FindSetting("l1-bytes")->EnvVar(), "FOLIO_L1_BYTES");
  EXPECT_EQ(FindSetting("external-write-bound-ms")->EnvVar(), "FOLIO_EXTERNAL_WRITE_BOUND_MS");
  EXPECT_EQ(FindSetting("data-dir")->EnvVar(), "FOLIO_DATA_DIR");
  EXPECT_EQ(FindSetting("token")->EnvVar(), "FOLIO_TOKEN");
  EXPECT_EQ(FindSetting("l1-bytes")->Flag(), "--l1-bytes");
  EXPECT_EQ(FindSetting("nope"), nullptr);
  for (const char* required : {"data-dir",
                               "db",
                               "durability",
                               "l1-bytes",
                               "l1-shard-bits",
                               "l1-thread-front",
                               "l2",
                               "l2-bytes",
                               "l2-durable-commits",
                               "l2-verify-checksums",
                               "l2-fill-queue",
                               "page-ttl-ms",
                               "sqlite-threads",
                               "read-connections",
                               "keep-versions",
                               "external-write-bound-ms",
                               "listen",
                               "threads",
                               "token",
                               "log-level",
                               "access-log",
                               "log-format",
                               "max-connections",
                               "body-limit",
                               "header-limit",
                               "url-limit",
                               "request-timeout-ms",
                               "idle-timeout-ms",
                               "shutdown-grace-ms",
                               "cors"}) {
    EXPECT_NE(FindSetting(required), nullptr) << required;
  }
}

// Every default is a value its own setting accepts, from a file and as `folio config` prints
// it (so a printed configuration can be pasted back).
TEST_F(ConfigTest, DefaultsPassTheirOwnChecksAndPrintedValuesParseBack) {
  auto config = Resolve();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  std::istringstream lines(ConfigText(*config));
  for (const Setting& s : Settings()) {
    auto from_json = ParseSettingJson(s, s.Default());
    EXPECT_TRUE(from_json.ok()) << s.name << ": " << from_json.status().ToString();
    std::string line;
    ASSERT_TRUE(std::getline(lines, line)) << s.name;
    const std::string prefix = std::string(s.name) + " = ";
    ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
    const std::string suffix = "  (default)";
    ASSERT_GE(line.size(), prefix.size() + suffix.size()) << line;
    ASSERT_EQ(line.substr(line.size() - suffix.size()), suffix) << line;
    std::string text = line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
    if (text == "\"\"") text.clear();
    if (s.name == "db" || text.empty()) continue;  // db prints its derived path
    auto back = ParseSettingText(s, text);
    ASSERT_TRUE(back.ok()) << line << ": " << back.status().ToString();
    EXPECT_EQ(*back, s.access.get(*config)) << line;
  }
  std::string extra;
  EXPECT_FALSE(std::getline(lines, extra)) << extra;
}

TEST_F(ConfigTest, DefaultsAreThoseOfOptionsAndHttpConfig) {
  auto config = Resolve();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  for (const Setting& s : Settings())
    EXPECT_EQ(config->SourceOf(s.name), "default") << s.name;
  const Options defaults;
  const Options options = EngineOptions(*config, /*create_if_missing=*/false);
  EXPECT_EQ(options.data_dir, defaults.data_dir);
  EXPECT_EQ(options.db_path, (std::filesystem::path(defaults.data_dir) / "folio.sqlite").string());
  EXPECT_FALSE(options.create_if_missing);
  EXPECT_EQ(options.l1_capacity_bytes, defaults.l1_capacity_bytes);
  EXPECT_EQ(options.l2_map_size_bytes, defaults.l2_map_size_bytes);
  EXPECT_EQ(options.page_ttl_micros, defaults.page_ttl_micros);
  EXPECT_EQ(options.external_write_bound_micros, defaults.external_write_bound_micros);
  EXPECT_EQ(options.durable_writes, defaults.durable_writes);
  EXPECT_EQ(options.keep_versions, defaults.keep_versions);
  EXPECT_EQ(config->http.listen, HttpConfig{}.listen);
  EXPECT_EQ(config->http.body_limit_bytes, HttpConfig{}.body_limit_bytes);
  EXPECT_EQ(config->tenant, "default");
  EXPECT_EQ(config->file, "");
}

// The serve settings that are choices are exactly what the service accepts.
TEST_F(ConfigTest, LogChoicesAreWhatTheServiceUnderstands) {
  for (const char* format : {"text", "json", "logfmt"}) {
    EXPECT_TRUE(ParseSettingText(*FindSetting("log-format"), format).ok()) << format;
    EXPECT_TRUE(ParseLogFormat(format).has_value()) << format;
  }
  EXPECT_FALSE(ParseSettingText(*FindSetting("log-format"), "xml").ok());
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    EXPECT_TRUE(ParseSettingText(*FindSetting("log-level"), level).ok()) << level;
    EXPECT_TRUE(spdlog::level::from_str(level) != spdlog::level::off || std::string(level) == "off")
        << level;
  }
  EXPECT_FALSE(ParseSettingText(*FindSetting("log-level"), "loud").ok());
}

// ---- Precedence ----

TEST_F(ConfigTest, FlagOverEnvOverFileOverDefault) {
  const std::string file = WriteFile(R"({
    "l1-bytes": "1MiB", "keep-versions": 3, "durability": "normal", "l2": false,
    "page-ttl-ms": 500, "listen": "127.0.0.1:7001", "cors": "https://file.example",
    "access-log": false})");
  SetEnv("FOLIO_L1_BYTES", "2MiB");
  SetEnv("FOLIO_KEEP_VERSIONS", "4");
  SetEnv("FOLIO_L2", "yes");
  SetEnv("FOLIO_LISTEN", "127.0.0.1:7002");
  auto config = Resolve({{"l1-bytes", "3MiB"}, {"listen", "127.0.0.1:7003"}}, file);
  ASSERT_TRUE(config.ok()) << config.status().ToString();

  // A size: the flag wins over the variable and the file.
  EXPECT_EQ(config->engine.l1_capacity_bytes, size_t{3} << 20);
  EXPECT_EQ(config->SourceOf("l1-bytes"), "flag");
  // An integer and a bool: the variable wins over the file.
  EXPECT_EQ(config->engine.keep_versions, 4);
  EXPECT_EQ(config->SourceOf("keep-versions"), "env FOLIO_KEEP_VERSIONS");
  EXPECT_TRUE(config->engine.l2_enabled);
  EXPECT_EQ(config->SourceOf("l2"), "env FOLIO_L2");
  // A string of serve: the flag wins.
  EXPECT_EQ(config->http.listen, "127.0.0.1:7003");
  EXPECT_EQ(config->SourceOf("listen"), "flag");
  // A choice, a duration, a list and a bool only in the file: the file wins over the default.
  EXPECT_FALSE(config->engine.durable_writes);
  EXPECT_EQ(config->SourceOf("durability"), "file " + file);
  EXPECT_EQ(config->engine.page_ttl_micros, 500'000);
  EXPECT_EQ(config->http.cors_origins, std::vector<std::string>{"https://file.example"});
  EXPECT_FALSE(config->http.access_log);
  EXPECT_EQ(config->SourceOf("access-log"), "file " + file);
  // Untouched: the default.
  EXPECT_EQ(config->engine.sqlite_threads, Options{}.sqlite_threads);
  EXPECT_EQ(config->SourceOf("sqlite-threads"), "default");
  EXPECT_EQ(config->file, file);
}

TEST_F(ConfigTest, ConfigFileFromTheEnvironmentUnlessTheFlagNamesOne) {
  const std::string from_env = WriteFile(R"({"keep-versions": 5})", "env.json");
  const std::string from_flag = WriteFile(R"({"keep-versions": 6})", "flag.json");
  SetEnv(kConfigFileEnvVar, from_env);
  auto config = Resolve();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->engine.keep_versions, 5);
  EXPECT_EQ(config->SourceOf("keep-versions"), "file " + from_env);

  config = Resolve({}, from_flag);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->engine.keep_versions, 6);
  EXPECT_EQ(config->file, from_flag);

  SetEnv(kConfigFileEnvVar, from_env + ".missing");
  config = Resolve();
  ASSERT_FALSE(config.ok());
  EXPECT_FALSE(config.status().IsInvalidArgument());  // unreadable, not misused
  EXPECT_NE(config.status().message().find("FOLIO_CONFIG"), std::string::npos)
      << config.status().message();
  EXPECT_NE(config.status().message().find(".missing"), std::string::npos);
}

TEST_F(ConfigTest, DataDirFromTheEnvironmentStillWorksAndPlacesTheDatabase) {
  SetEnv("FOLIO_DATA_DIR", "/srv/folio");
  auto config = Resolve();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->engine.data_dir, "/srv/folio");
  EXPECT_EQ(config->engine.db_path, "/srv/folio/folio.sqlite");
  EXPECT_EQ(config->SourceOf("data-dir"), "env FOLIO_DATA_DIR");
  EXPECT_EQ(config->SourceOf("db"), "default");
  config = Resolve({{"db", "/elsewhere/d1.sqlite"}});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(EngineOptions(*config, true).db_path, "/elsewhere/d1.sqlite");
}

TEST_F(ConfigTest, AnEmptyVariableOrFlagCountsAsUnset) {
  SetEnv("FOLIO_DATA_DIR", "");
  SetEnv("FOLIO_SQLITE_THREADS", "");
  auto config = Resolve();
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->engine.data_dir, Options{}.data_dir);
  EXPECT_EQ(config->SourceOf("sqlite-threads"), "default");
  // `--token "$UNSET"` must not open the writes a token in the environment protects.
  SetEnv("FOLIO_TOKEN", "from-env");
  config = Resolve({{"token", ""}, {"threads", ""}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http.token, "from-env");
  EXPECT_EQ(config->SourceOf("token"), "env FOLIO_TOKEN");
  EXPECT_EQ(config->SourceOf("threads"), "default");
}

// ---- Where the values land ----

TEST_F(ConfigTest, EverySettingOfTheEngineReachesOptions) {
  auto config = Resolve({{"data-dir", "/d"},
                         {"db", "/d/other.sqlite"},
                         {"durability", "normal"},
                         {"l1-bytes", "64k"},
                         {"l1-shard-bits", "3"},
                         {"l1-thread-front", "false"},
                         {"l2", "false"},
                         {"l2-bytes", "8MiB"},
                         {"l2-durable-commits", "true"},
                         {"l2-verify-checksums", "off"},
                         {"l2-fill-queue", "17"},
                         {"page-ttl-ms", "250"},
                         {"sqlite-threads", "5"},
                         {"read-connections", "6"},
                         {"keep-versions", "0"},
                         {"external-write-bound-ms", "40"},
                         {"tenant", "acme"}});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const Options o = EngineOptions(*config, /*create_if_missing=*/true);
  EXPECT_EQ(o.data_dir, "/d");
  EXPECT_EQ(o.db_path, "/d/other.sqlite");
  EXPECT_TRUE(o.create_if_missing);
  EXPECT_FALSE(o.durable_writes);
  EXPECT_EQ(o.l1_capacity_bytes, 65536u);
  EXPECT_EQ(o.l1_shard_bits, 3);
  EXPECT_FALSE(o.l1_thread_front);
  EXPECT_FALSE(o.l2_enabled);
  EXPECT_EQ(o.l2_map_size_bytes, size_t{8} << 20);
  EXPECT_TRUE(o.l2_durable_commits);
  EXPECT_FALSE(o.l2_verify_checksums);
  EXPECT_EQ(o.l2_fill_queue_limit, 17u);
  EXPECT_EQ(o.page_ttl_micros, 250'000);  // milliseconds in, microseconds in Options
  EXPECT_EQ(o.sqlite_threads, 5);
  EXPECT_EQ(o.read_connections, 6);
  EXPECT_EQ(o.keep_versions, 0);
  EXPECT_EQ(o.external_write_bound_micros, 40'000);
  EXPECT_EQ(config->tenant, "acme");
  for (const Setting& s : Settings()) {
    if (s.scope == SettingScope::kGlobal) {
      EXPECT_EQ(config->SourceOf(s.name), "flag") << s.name;
    }
  }
}

TEST_F(ConfigTest, EverySettingOfServeReachesHttpConfig) {
  const std::string file = WriteFile(R"({
    "listen": "[::1]:9000", "threads": 3, "token": "s3cret", "log-level": "warn",
    "access-log": false, "log-format": "json", "max-connections": 7, "body-limit": "2MiB",
    "header-limit": 2048, "url-limit": "4k", "request-timeout-ms": 400,
    "idle-timeout-ms": 500, "shutdown-grace-ms": 0,
    "cors": ["https://a.example", "http://localhost:3000"]})");
  auto config = Resolve({}, file);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const HttpConfig& h = config->http;
  EXPECT_EQ(h.listen, "[::1]:9000");
  EXPECT_EQ(h.threads, 3);
  EXPECT_EQ(h.token, "s3cret");
  EXPECT_EQ(h.log_level, "warn");
  EXPECT_FALSE(h.access_log);
  EXPECT_EQ(h.log_format, "json");
  EXPECT_EQ(h.max_connections, 7);
  EXPECT_EQ(h.body_limit_bytes, size_t{2} << 20);
  EXPECT_EQ(h.header_limit_bytes, 2048u);
  EXPECT_EQ(h.url_limit_bytes, 4096u);
  EXPECT_EQ(h.request_timeout_ms, 400);
  EXPECT_EQ(h.idle_timeout_ms, 500);
  EXPECT_EQ(h.shutdown_grace_ms, 0);
  EXPECT_EQ(h.cors_origins,
            (std::vector<std::string>{"https://a.example", "http://localhost:3000"}));
  for (const Setting& s : Settings()) {
    if (s.scope == SettingScope::kServe) {
      EXPECT_EQ(config->SourceOf(s.name), "file " + file) << s.name;
    }
  }
}

// ---- What is refused, and how the message says so ----

TEST_F(ConfigTest, BadFileValuesNameTheFileTheKeyAndTheValue) {
  struct Case {
    const char* text;
    const char* key;
    const char* value;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"l1-bytes": "lots"})", "'l1-bytes'", "lots"},
           {R"({"l1-bytes": -1})", "'l1-bytes'", "-1"},
           {R"({"l2-bytes": 1024})", "'l2-bytes'", "1024"},  // under LMDB's minimum
           {R"({"keep-versions": "3"})", "'keep-versions'", "\"3\""},
           {R"({"sqlite-threads": 0})", "'sqlite-threads'", "0"},
           {R"({"l1-shard-bits": 17})", "'l1-shard-bits'", "17"},
           {R"({"page-ttl-ms": 1.5})", "'page-ttl-ms'", "1.5"},
           {R"({"l2": "no"})", "'l2'", "\"no\""},
           {R"({"durability": "sometimes"})", "'durability'", "sometimes"},
           {R"({"listen": 80})", "'listen'", "80"},
           {R"({"listen": "localhost"})", "'listen'", "localhost"},
           {R"({"cors": [1]})", "'cors'", "[1]"},
           {R"({"cors": "app.example"})", "'cors'", "app.example"},
           {R"({"cors": "https://app.example/"})", "'cors'", "https://app.example/"},
           {R"({"data-dir": ""})", "'data-dir'", "empty"},
       }) {
    const std::string file = WriteFile(c.text);
    const std::string message = Rejected(Resolve({}, file));
    EXPECT_NE(message.find(file), std::string::npos) << c.text << " -> " << message;
    EXPECT_NE(message.find(c.key), std::string::npos) << c.text << " -> " << message;
    EXPECT_NE(message.find(c.value), std::string::npos) << c.text << " -> " << message;
  }
}

TEST_F(ConfigTest, UnknownFileKeysAreRefusedWithAHint) {
  const std::string file = WriteFile(R"({"l1-bytes": 1024, "l1-byte": 1})");
  const std::string message = Rejected(Resolve({}, file));
  EXPECT_NE(message.find("unknown key 'l1-byte'"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'l1-bytes'"), std::string::npos) << message;
  // The file's own name is not a setting either.
  EXPECT_NE(Rejected(Resolve({}, WriteFile(R"({"config": "x.json"})"))).find("'config'"),
            std::string::npos);
}

TEST_F(ConfigTest, FilesThatAreNotAJsonObjectAreRefused) {
  for (const char* text : {"", "[1,2]", "\"listen\"", "{\"threads\": ", "not json"}) {
    const std::string file = WriteFile(text);
    EXPECT_NE(Rejected(Resolve({}, file)).find(file), std::string::npos) << text;
  }
}

TEST_F(ConfigTest, BadVariablesNameTheVariableAndTheValue) {
  struct Case {
    const char* var;
    const char* value;
    const char* expect;  // besides the variable and the value
  };
  for (const Case& c : std::vector<Case>{
           {"FOLIO_SQLITE_THREADS", "0", "1..256"},
           {"FOLIO_READ_CONNECTIONS", "many", "whole number"},
           {"FOLIO_L1_BYTES", "1.5GiB", "not a size"},
           {"FOLIO_L2_BYTES", "1GB", "GiB"},
           {"FOLIO_L2_VERIFY_CHECKSUMS", "maybe", "boolean"},
           {"FOLIO_DURABILITY", "FULL", "full or normal"},
           {"FOLIO_EXTERNAL_WRITE_BOUND_MS", "0", "1 or more"},
           {"FOLIO_LOG_FORMAT", "xml", "text, json or logfmt"},
           {"FOLIO_LISTEN", "8080", "HOST:PORT"},
           {"FOLIO_THREADS", "-1", "0..1024"},
           {"FOLIO_PAGE_TTL_MS", "99999999999999999999", "out of range"},
           {"FOLIO_PAGE_TTL_MS", "9223372036854775807", "too large"},  // in µs it would wrap
           {"FOLIO_L2_BYTES", "1024", "256KiB or more"},
       }) {
    SetEnv(c.var, c.value);
    const std::string message = Rejected(Resolve());
    EXPECT_NE(message.find(std::string("environment variable ") + c.var), std::string::npos)
        << message;
    EXPECT_NE(message.find(std::string("'") + c.value + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(c.expect), std::string::npos) << message;
    ::unsetenv(c.var);
  }
}

TEST_F(ConfigTest, BadFlagsNameTheFlagAndTheValue) {
  std::string message = Rejected(Resolve({{"l1-shard-bits", "17"}}));
  EXPECT_NE(message.find("--l1-shard-bits: '17' is out of range: -1..16"), std::string::npos)
      << message;
  message = Rejected(Resolve({{"max-connections", "0"}}));
  EXPECT_NE(message.find("--max-connections: '0'"), std::string::npos) << message;
  message = Rejected(Resolve({{"body-limit", "1 MiB"}}));
  EXPECT_NE(message.find("--body-limit: '1 MiB' is not a size"), std::string::npos) << message;
  // A flag's error wins even when the file and the variable are fine: each source is checked.
  SetEnv("FOLIO_KEEP_VERSIONS", "2");
  message = Rejected(Resolve({{"keep-versions", "-2"}}));
  EXPECT_NE(message.find("--keep-versions"), std::string::npos) << message;
}

// ---- Sizes ----

TEST_F(ConfigTest, SizesTakePowerOf1024Suffixes) {
  const std::vector<std::pair<const char*, uint64_t>> good = {
      {"0", 0},
      {"1024", 1024},
      {"5B", 5},
      {"64k", 64 << 10},
      {"64K", 64 << 10},
      {"64KiB", 64 << 10},
      {"256MiB", uint64_t{256} << 20},
      {"256m", uint64_t{256} << 20},
      {"1GiB", uint64_t{1} << 30},
      {"1g", uint64_t{1} << 30},
      {"2T", uint64_t{2} << 40},
      {"2tib", uint64_t{2} << 40},
      {"18446744073709551615", UINT64_MAX},
  };
  for (const auto& [text, bytes] : good) {
    auto parsed = ParseSize(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, bytes) << text;
  }
}

TEST_F(ConfigTest, SizesAreParsedStrictly) {
  for (const char* bad :
       {"", "k", "MiB", "-1", "+1", "1.5GiB", "1 GiB", " 1", "1 ", "1GiBs", "1Gi", "1e6", "0x10",
        "1,024", "18446744073709551616", "16777216T", "17179869184G"}) {
    auto parsed = ParseSize(bad);
    EXPECT_FALSE(parsed.ok()) << "'" << bad << "' -> " << (parsed.ok() ? *parsed : 0);
    if (!parsed.ok()) {
      EXPECT_TRUE(parsed.status().IsInvalidArgument());
      EXPECT_NE(parsed.status().message().find(std::string("'") + bad + "'"), std::string::npos)
          << parsed.status().message();
    }
  }
  // KB and friends mean powers of 1000 to some readers: refused with what to write instead.
  auto kb = ParseSize("64KB");
  ASSERT_FALSE(kb.ok());
  EXPECT_NE(kb.status().message().find("64KiB"), std::string::npos) << kb.status().message();
}

TEST_F(ConfigTest, SizesPrintWithTheLargestExactSuffix) {
  EXPECT_EQ(FormatSize(0), "0");
  EXPECT_EQ(FormatSize(1000), "1000");
  EXPECT_EQ(FormatSize(1024), "1KiB");
  EXPECT_EQ(FormatSize((1 << 20) + (64 << 10)), "1088KiB");
  EXPECT_EQ(FormatSize(uint64_t{256} << 20), "256MiB");
  EXPECT_EQ(FormatSize(uint64_t{3} << 40), "3TiB");
  for (uint64_t bytes : {uint64_t{0}, uint64_t{1}, uint64_t{1536}, uint64_t{1} << 30, UINT64_MAX}) {
    auto back = ParseSize(FormatSize(bytes));
    ASSERT_TRUE(back.ok()) << bytes;
    EXPECT_EQ(*back, bytes);
  }
}

// ---- Printing ----

TEST_F(ConfigTest, TextAndJsonSayTheValueAndItsSource) {
  const std::string file = WriteFile(R"({"page-ttl-ms": 1500})");
  SetEnv("FOLIO_L2_BYTES", "64MiB");
  auto config = Resolve({{"cors", "https://a.example,https://b.example"}, {"l2", "false"}}, file);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const std::string text = ConfigText(*config);
  EXPECT_NE(text.find("page-ttl-ms = 1500  (file " + file + ")\n"), std::string::npos) << text;
  EXPECT_NE(text.find("l2-bytes = 64MiB  (env FOLIO_L2_BYTES)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("l2 = false  (flag)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cors = https://a.example,https://b.example  (flag)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("sqlite-threads = 2  (default)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("token = \"\"  (default)\n"), std::string::npos) << text;

  const json j = json::parse(ConfigJson(*config));
  ASSERT_EQ(j.size(), Settings().size());
  EXPECT_EQ(j["page-ttl-ms"], json({{"value", 1500}, {"source", "file " + file}}));
  EXPECT_EQ(j["l2-bytes"]["value"], uint64_t{64} << 20);  // bytes, for programs
  EXPECT_EQ(j["l2-bytes"]["source"], "env FOLIO_L2_BYTES");
  EXPECT_EQ(j["l2"]["value"], false);
  EXPECT_EQ(j["cors"]["value"], json::array({"https://a.example", "https://b.example"}));
  EXPECT_EQ(j["durability"]["value"], "full");
  EXPECT_EQ(j["durability"]["source"], "default");
  EXPECT_EQ(j["token"]["value"], "");
}

TEST_F(ConfigTest, TheTokenIsNeverPrinted) {
  for (int source = 0; source < 3; ++source) {
    const std::string token = "tok-" + std::to_string(source) + "-do-not-print";
    std::map<std::string, std::string, std::less<>> flags;
    std::string file;
    if (source == 0) file = WriteFile(R"({"token": ")" + token + R"("})");
    if (source == 1) SetEnv("FOLIO_TOKEN", token);
    if (source == 2) flags["token"] = token;
    auto config = Resolve(flags, file);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    EXPECT_EQ(config->http.token, token);  // serve gets it
    const std::string text = ConfigText(*config);
    const std::string js = ConfigJson(*config);
    EXPECT_EQ(text.find(token), std::string::npos) << text;
    EXPECT_EQ(js.find(token), std::string::npos) << js;
    EXPECT_NE(text.find("token = ***  ("), std::string::npos) << text;
    EXPECT_EQ(json::parse(js)["token"]["value"], "***");
    ::unsetenv("FOLIO_TOKEN");
  }
}

// ---- Flags through CLI11 ----

TEST_F(ConfigTest, FlagsAreCollectedFromEveryAppTheyWereAddedTo) {
  CLI::App app;
  app.fallthrough();
  ConfigFlags flags;
  flags.AddTo(&app, SettingScope::kGlobal);
  CLI::App* serve = app.add_subcommand("serve");
  flags.AddTo(serve, SettingScope::kServe);
  std::vector<std::string> args = {"folio",
                                   "--l1-bytes",
                                   "64MiB",
                                   "--no-l2",
                                   "serve",
                                   "--cors",
                                   "https://a.example,https://b.example",
                                   "--cors",
                                   "https://c.example",
                                   "--access-log=false",
                                   "--threads",
                                   "4",
                                   "--l1-thread-front"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  ASSERT_NO_THROW(app.parse(static_cast<int>(argv.size()), argv.data()));
  const auto given = flags.Given();
  EXPECT_EQ(given, (std::map<std::string, std::string, std::less<>>{
                       {"l1-bytes", "64MiB"},
                       {"l2", "false"},
                       {"cors", "https://a.example,https://b.example,https://c.example"},
                       {"access-log", "false"},
                       {"threads", "4"},
                       {"l1-thread-front", "true"}}));
  auto config = Resolve(given);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http.cors_origins.size(), 3u);
  EXPECT_FALSE(config->engine.l2_enabled);
}

// docs/configuration.md is the reference: it must name every setting and its variable.
TEST_F(ConfigTest, TheReferenceDocumentsEverySetting) {
  std::ifstream in(std::string(FOLIO_DOCS_DIR) + "/configuration.md");
  ASSERT_TRUE(in) << FOLIO_DOCS_DIR;
  const std::string doc(std::istreambuf_iterator<char>(in), {});
  for (const Setting& s : Settings()) {
    EXPECT_NE(doc.find("`" + std::string(s.name) + "`"), std::string::npos) << s.name;
    EXPECT_NE(doc.find(s.EnvVar()), std::string::npos) << s.EnvVar();
  }
}

}  // namespace
}  // namespace folio::app
