// Hostile and unlucky input to `folio serve` (issue 10): bytes that are not UTF-8 anywhere in a
// request, JSON nested far too deep, ambiguous framing and credentials, slow headers, running
// out of file descriptors, a full disk. Each must be a clear 4xx (or 507), and the server must
// go on serving the next request.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <filesystem>
#include <string>
#include <vector>

#include "http/connection_limits.h"
#include "support/http_fixture.h"

namespace folio::app {
namespace {

using namespace folio::app::http_testing;  // NOLINT: the harness's names read as local ones

class HttpHardeningTest : public HttpServerTest {
 protected:
  // The server still answers a plain request on a new connection.
  void ExpectServing() {
    Client c = Connect();
    EXPECT_EQ(c.Get("/healthz").result_int(), 200u);
  }
};

TEST_F(HttpHardeningTest, InvalidUtf8AnywhereInAListingIs400) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  CreateDoc(c, "post", {{"title", "a"}, {"views", 1}}, true);
  const std::string base = "/v1/default/types/post/documents";
  const std::vector<std::string> targets = {
      "/v1/%ff/types/post/documents",
      "/v1/default/types/%ff/documents",
      "/v1/default/types/po%c0%afst/documents",  // overlong '/'
      base + "?where.%ff=1",
      base + "?where.title=%ff",
      base + "?where.title.in=a,%ed%a0%80",  // a UTF-16 surrogate
      base + "?facet.%fe=x",
      base + "?facet.tags=%f8%88%80%80%80",
      base + "?sort=%ff",
      base + "?locale=%e2%82",  // truncated sequence
      base + "?cursor=%ff",
      "/v1/%ff/documents/abc",
  };
  for (const auto& target : targets) {
    auto res = c.Get(target);
    EXPECT_EQ(res.result_int(), 400u) << target << " → " << res.body();
    EXPECT_EQ(ErrorCodeOf(res), "bad_request") << target;
    EXPECT_NE(MessageOf(res).find("UTF-8"), std::string::npos) << res.body();
  }
  // The same bytes in the principal a token-carrying backend names.
  auto res = c.Get(base, Auth({{"X-Folio-Principal", "user:\xff"}}));
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  res = c.Get(base, Auth({{"X-Folio-Principal", "role:ed\xc3"}}));
  EXPECT_EQ(res.result_int(), 400u) << res.body();
  // Well-formed UTF-8 is fine everywhere.
  EXPECT_EQ(c.Get(base + "?where.title=%C3%A9t%C3%A9").result_int(), 200u);
  EXPECT_EQ(c.Get(base, Auth({{"X-Folio-Principal", "user:j\xc3\xa9r\xc3\xb4me"}})).result_int(),
            200u);
  ExpectServing();
}

TEST_F(HttpHardeningTest, DeeplyNestedJsonIs400AndStoresNothing) {
  config_.body_limit_bytes = 1 << 20;
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  const std::string root = CreateDoc(c, "post", {{"title", "a"}}, false);
  for (const size_t depth : {size_t{129}, size_t{5'000}, size_t{60'000}}) {
    const std::string nested = std::string(depth, '[') + std::string(depth, ']');
    const std::string body = R"({"data":{"deep":)" + nested + "}}";
    for (const auto& [verb, target] : std::vector<std::pair<http::verb, std::string>>{
             {http::verb::post, "/v1/default/types/post/documents"},
             {http::verb::put, "/v1/default/documents/" + root},
             {http::verb::patch, "/v1/default/documents/" + root},
             {http::verb::put, "/v1/default/documents/" + root + "/permissions"},
             {http::verb::post, "/v1/types"}}) {
      auto res = c.Do(verb, target, body, Auth());
      EXPECT_EQ(res.result_int(), 400u) << depth << " " << target << " → " << res.body();
      EXPECT_NE(res.body().find("deeper than"), std::string::npos) << res.body();
    }
  }
  // Nothing was written: the draft is still version 1.
  auto doc = c.Get("/v1/default/documents/" + root + "?status=draft", Auth());
  ASSERT_EQ(doc.result_int(), 200u);
  EXPECT_EQ(Body(doc)["data"]["version"], 1);
  // As deep as allowed is accepted.
  const std::string ok_depth = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(c.Do(http::verb::patch, "/v1/default/documents/" + root,
                 R"({"data":{"deep":)" + ok_depth + "}}", Auth())
                .result_int(),
            200u);
  ExpectServing();
}

// Type schemas that overflowed the stack or a signed integer in the validator (found by
// fuzz_type_settings): a root "$ref" to a name that only looks like a URN, references too long
// for valijson's std::regex URN test, a backreference number past 2^63. Each is a 400 naming
// what is wrong, and the server serves on.
TEST_F(HttpHardeningTest, HostileTypeSchemaReferencesAre400) {
  config_.body_limit_bytes = 1 << 20;
  StartServer();
  Client c = Connect();
  std::string long_urn("urn:ab:");
  long_urn.append(60'000, 'c');
  const std::vector<std::pair<json, std::string>> schemas = {
      {json{{"definitions", {{"node", {{"type", "object"}}}}},
            {"$ref", "URN:390maxVersionsPerRons/node"}},
       "cycle of \"$ref\"s"},
      {json{{"$ref", long_urn}}, "bytes long; folio takes at most 1024"},
      {json{{"id", "http://example.com/"}, {"properties", {{"p", {{"id", long_urn}}}}}},
       "\"id\" is 60007 bytes long"},
      // A number std::regex's compiler would overflow reading (UBSan).
      {json{{"properties", {{"p", {{"pattern", "^(a)\\4444444444444444444"}}}}}},
       "of more than 9 digits"},
  };
  for (const auto& [schema, expected] : schemas) {
    const json body = {{"id", "hostile"},
                       {"queryableFields", json::array()},
                       {"settings", {{"jsonSchema", schema}}}};
    auto res = c.Do(http::verb::post, "/v1/types", body.dump(), Auth());
    EXPECT_EQ(res.result_int(), 400u) << res.body().substr(0, 300);
    ASSERT_EQ(ErrorCodeOf(res), "bad_request");
    const std::string message = MessageOf(res);
    EXPECT_NE(message.find(expected), std::string::npos) << message.substr(0, 300);
  }
  EXPECT_EQ(c.Get("/v1/types/hostile", Auth()).result_int(), 404u);
  ExpectServing();
}

// valijson checked "uniqueItems" by comparing every pair and recording every equal one: an 18 KB
// body of 9,000 equal items would have taken the server's memory (3,000 took 2 GiB).
TEST_F(HttpHardeningTest, AWriteOfManyEqualItemsToAUniqueItemsTypeIs400) {
  config_.body_limit_bytes = 1 << 20;
  StartServer();
  Client c = Connect();
  auto registered = c.Do(http::verb::post, "/v1/types",
                         R"({"id":"set","queryableFields":[],"settings":{"jsonSchema":)"
                         R"({"properties":{"tags":{"type":"array","uniqueItems":true}}}}})",
                         Auth());
  ASSERT_EQ(registered.result_int(), 200u) << registered.body();
  json tags = json::array();
  for (int i = 0; i < 9'000; ++i)
    tags.push_back(1);
  auto res = c.Do(http::verb::post, "/v1/default/types/set/documents",
                  json{{"data", {{"tags", tags}}}}.dump(), Auth());
  ASSERT_EQ(res.result_int(), 400u) << res.body().substr(0, 300);
  const std::string message = MessageOf(res);
  EXPECT_NE(message.find("/tags: Elements at indexes #0 and #1"), std::string::npos) << message;
  EXPECT_NE(message.find("(rule uniqueItems)"), std::string::npos) << message;
  EXPECT_EQ(message.find("more"), std::string::npos) << "one failure, not one per pair";
  // Past 10,000 values the failures are not listed (valijson would record every one).
  for (int i = 0; i < 491'000; ++i)
    tags.push_back(1);
  res = c.Do(http::verb::post, "/v1/default/types/set/documents",
             json{{"data", {{"tags", tags}}}}.dump(), Auth());
  ASSERT_EQ(res.result_int(), 400u) << res.body().substr(0, 300);
  EXPECT_NE(res.body().find("failures are listed only for documents of up to 10000 values"),
            std::string::npos)
      << res.body().substr(0, 300);
  tags.clear();
  for (int i = 0; i < 100'000; ++i)
    tags.push_back(i);
  EXPECT_EQ(c.Do(http::verb::post, "/v1/default/types/set/documents",
                 json{{"data", {{"tags", tags}}}}.dump(), Auth())
                .result_int(),
            201u);
  ExpectServing();
}

// "patternProperties" ran on valijson's std::regex: a property name of 40 a's and a '!' against
// "^(a+)+$" backtracks through 2^40 splits, holding a thread for as long as the writer likes.
TEST_F(HttpHardeningTest, PatternPropertiesCannotBacktrack) {
  StartServer();
  Client c = Connect();
  auto registered = c.Do(http::verb::post, "/v1/types",
                         R"({"id":"flags","queryableFields":[],"settings":{"jsonSchema":)"
                         R"({"patternProperties":{"^(a+)+$":{"type":"integer"}},)"
                         R"("additionalProperties":false}}})",
                         Auth());
  ASSERT_EQ(registered.result_int(), 200u) << registered.body();
  auto res = c.Do(http::verb::post, "/v1/default/types/flags/documents",
                  json{{"data", {{std::string(40, 'a') + "!", 1}}}}.dump(), Auth());
  ASSERT_EQ(res.result_int(), 400u) << res.body();
  EXPECT_NE(res.body().find("(rule additionalProperties)"), std::string::npos) << res.body();
  EXPECT_EQ(c.Do(http::verb::post, "/v1/default/types/flags/documents",
                 json{{"data", {{std::string(40, 'a'), 1}}}}.dump(), Auth())
                .result_int(),
            201u);
  ExpectServing();
}

TEST_F(HttpHardeningTest, AmbiguousTransferEncodingIs400AndClosed) {
  StartServer();
  for (const std::string coding : {"identity", "chunked, identity", "xchunked", "gzip"}) {
    Client c = Connect();
    // A second request hidden in the body: it must never be answered.
    c.WriteRaw("POST /v1/types HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding +
               "\r\nContent-Length: 30\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << coding;
    EXPECT_EQ(res->result_int(), 400u) << coding;
    EXPECT_NE(res->body().find("Transfer-Encoding"), std::string::npos) << res->body();
    EXPECT_FALSE(c.Read().has_value()) << "the smuggled request was answered for " << coding;
  }
  {
    Client c = Connect();
    c.WriteRaw(
        "POST /v1/types HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: "
        "5\r\n\r\n0\r\n\r\n");
    auto res = c.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->result_int(), 400u);
  }
  // Plain chunked framing still works.
  Client c = Connect();
  c.WriteRaw("POST /v1/types HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + std::string(kToken) +
             "\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{\"id\":\"x\"\r\n1\r\n}\r\n0\r\n\r\n");
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result_int(), 200u) << res->body();
}

TEST_F(HttpHardeningTest, BearerSchemeIsCaseInsensitiveAndTwoAuthorizationsAre400) {
  StartServer();
  Client c = Connect();
  const std::string body = R"({"id":"post"})";
  for (const std::string scheme : {"Bearer ", "bearer ", "BEARER ", "bEaReR   "}) {
    auto res = c.Do(http::verb::post, "/v1/types", body, {{"Authorization", scheme + kToken}});
    EXPECT_EQ(res.result_int(), 200u) << scheme << res.body();
  }
  for (const std::string& bad :
       {std::string("Bearer"), "Bearerx " + std::string(kToken), std::string("Basic abc")}) {
    auto res = c.Do(http::verb::post, "/v1/types", body, {{"Authorization", bad}});
    EXPECT_EQ(res.result_int(), 401u) << bad;
  }
  // Two Authorization headers (the first right, the second wrong, or the other way round)
  // are ambiguous: refused whatever their order.
  for (int order = 0; order < 2; ++order) {
    const std::string good = "Authorization: Bearer " + std::string(kToken) + "\r\n";
    const std::string wrong = "Authorization: Bearer nope\r\n";
    Client raw = Connect();
    raw.WriteRaw("GET /v1/default/types/post/documents?status=draft HTTP/1.1\r\nHost: x\r\n" +
                 (order == 0 ? good + wrong : wrong + good) + "\r\n");
    auto res = raw.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->result_int(), 400u) << res->body();
    EXPECT_NE(res->body().find("Authorization"), std::string::npos);
  }
  Client raw = Connect();
  raw.WriteRaw(std::string("GET /v1/default/types/post/documents HTTP/1.1\r\nHost: x\r\n") +
               "Authorization: Bearer " + kToken +
               "\r\nX-Folio-Principal: user:a\r\nX-Folio-Principal: user:b\r\n\r\n");
  auto res = raw.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result_int(), 400u) << res->body();
}

TEST_F(HttpHardeningTest, SlowHeaderIsCutAtTheRequestTimeoutNotTheIdleTimeout) {
  config_.request_timeout_ms = 300;
  config_.idle_timeout_ms = 60'000;
  StartServer();
  Client slow = Connect();
  slow.WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  EXPECT_TRUE(slow.WaitClosed(std::chrono::seconds(8))) << slow.last_error().message();
  // A keep-alive connection between requests waits the idle timeout, not the request timeout.
  Client idle = Connect();
  ASSERT_EQ(idle.Get("/healthz").result_int(), 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(idle.Get("/healthz").result_int(), 200u);
}

TEST_F(HttpHardeningTest, SingleDocumentReadsOnKeepAliveAnswerWhole) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  const std::string root = CreateDoc(c, "post", {{"title", "a"}}, true);
  for (int i = 0; i < 20; ++i) {
    auto res = c.Get("/v1/default/documents/" + root);
    ASSERT_EQ(res.result_int(), 200u);
    EXPECT_EQ(Body(res)["data"]["root_id"], root);
  }
}

// Counts the descriptors this process has open.
int OpenDescriptors() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

TEST_F(HttpHardeningTest, MaxConnectionsFollowTheDescriptorLimitAndExhaustionBacksOff) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // With no descriptor left, the sanitizers' own checks misfire (UBSan probes memory through a
  // pipe it can no longer open): this case runs in the plain builds.
  GTEST_SKIP() << "descriptor exhaustion under a sanitizer";
#endif
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  const rlim_t low = static_cast<rlim_t>(OpenDescriptors()) + kReservedFileDescriptors + 8;
  rlimit lowered = saved;
  lowered.rlim_cur = low;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  config_.max_connections = 4096;
  StartServer();
  EXPECT_EQ(server_->max_connections(), static_cast<int>(low - kReservedFileDescriptors));

  // Exhaust the descriptors: client sockets until socket() or connect() fails. The server's
  // accepts then fail for want of descriptors too; it must back off, not spin.
  std::vector<int> sockets;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 4096; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    sockets.push_back(fd);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) break;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t failures = server_->metrics().accept_failures();
  EXPECT_GT(failures, 0u) << "the descriptors were never exhausted: the test proves nothing";
  // Without a backoff, half a second of failing accepts is hundreds of thousands.
  EXPECT_LT(failures, 200u);
  for (const int fd : sockets)
    ::close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ExpectServing();  // within the backoff's 1 s at most, and the client waits 10 s
}

TEST(ConnectionLimitsTest, MaxConnectionsLeaveTheReserveFree) {
  EXPECT_EQ(EffectiveMaxConnections(4096, 1024), 1024 - static_cast<int>(kReservedFileDescriptors));
  EXPECT_EQ(EffectiveMaxConnections(100, 1024), 100);
  EXPECT_EQ(EffectiveMaxConnections(4096, 10), 1);    // never 0
  EXPECT_EQ(EffectiveMaxConnections(4096, 0), 4096);  // unknown limit
  EXPECT_EQ(EffectiveMaxConnections(4096, UINT64_MAX), 4096);
}

TEST(ConnectionLimitsTest, AcceptBackoffDoublesToItsCapAndResets) {
  AcceptBackoff backoff;
  EXPECT_EQ(backoff.Next(), std::chrono::milliseconds(5));
  EXPECT_EQ(backoff.Next(), std::chrono::milliseconds(10));
  for (int i = 0; i < 20; ++i)
    (void)backoff.Next();
  EXPECT_EQ(backoff.Next(), AcceptBackoff::kMax);
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), AcceptBackoff::kFirst);
}

TEST(ConnectionLimitsTest, RateLimitedLogLetsOneLineThroughPerIntervalWithItsCount) {
  RateLimitedLog log(std::chrono::seconds(1));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 99;
  EXPECT_TRUE(log.Allow(t0, &suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 1000; ++i)
    EXPECT_FALSE(log.Allow(t0 + std::chrono::milliseconds(i % 999), &suppressed));
  EXPECT_TRUE(log.Allow(t0 + std::chrono::seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 1000u);
}

}  // namespace
}  // namespace folio::app
