// HTTP conventions browsers, CDNs and clients expect (issue 14, item 2): HEAD, OPTIONS and
// Allow, opt-in CORS with preflight, Location on 201, WWW-Authenticate on 401, ETags stable
// across tiers with 304, gzip and br made once per fill.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "build_info.h"
#include "support/decode.h"
#include "support/http_fixture.h"

namespace folio::app {
namespace {

using namespace folio::app::http_testing;  // NOLINT: the harness's names read as local ones
using ::testing::HasSubstr;

class HttpConventionsTest : public HttpServerTest {
 protected:
  std::string SeedOne(Client& c) {
    RegisterPostType(c);
    return CreateDoc(c, "post", {{"title", "t"}, {"views", 1}}, /*publish=*/true);
  }
};

TEST_F(HttpConventionsTest, AnETagIsTheSameFromEveryTierAndChangesWithAWrite) {
  StartServer();
  Client c = Connect();
  const std::string root = SeedOne(c);
  const std::string listing = "/v1/default/types/post/documents";
  const std::string single = "/v1/default/documents/" + root;

  auto from_database = c.Get(listing);
  ASSERT_EQ(Header(from_database, "X-Cache-Source"), "database");
  const std::string etag = Header(from_database, "ETag");
  ASSERT_THAT(etag, ::testing::MatchesRegex("\"[0-9a-f]{32}\""));
  auto from_memory = c.Get(listing);
  ASSERT_EQ(Header(from_memory, "X-Cache-Source"), "memory");
  EXPECT_EQ(Header(from_memory, "ETag"), etag);
  EXPECT_EQ(from_memory.body(), from_database.body());
  const std::string doc_etag = Header(c.Get(single), "ETag");
  ASSERT_THAT(doc_etag, ::testing::MatchesRegex("\"[0-9a-f]{32}\""));

  RestartEngine();  // L1 empty, L2 kept: the next answer comes from L2
  Client again = Connect();
  auto from_kv = again.Get(listing);
  ASSERT_EQ(Header(from_kv, "X-Cache-Source"), "kv");
  EXPECT_EQ(Header(from_kv, "ETag"), etag);
  EXPECT_EQ(from_kv.body(), from_database.body());
  EXPECT_EQ(Header(again.Get(single), "ETag"), doc_etag);

  // The client's copy is current: 304 with the validators and caching rules, no body.
  for (const std::string& if_none_match :
       {etag, "W/" + etag, "\"00000000000000000000000000000000\", " + etag, std::string("*")}) {
    auto not_modified = again.Get(listing, {{"If-None-Match", if_none_match}});
    EXPECT_EQ(not_modified.result_int(), 304u) << if_none_match;
    EXPECT_TRUE(not_modified.body().empty());
    EXPECT_EQ(Header(not_modified, "ETag"), etag);
    EXPECT_EQ(Header(not_modified, "Cache-Control"), "public, max-age=0, must-revalidate");
    EXPECT_EQ(Header(not_modified, "Vary"), "Accept-Encoding");
    EXPECT_EQ(Header(not_modified, "Content-Length"), "");
  }
  EXPECT_EQ(again.Get(single, {{"If-None-Match", doc_etag}}).result_int(), 304u);
  auto other = again.Get(listing, {{"If-None-Match", "\"00000000000000000000000000000000\""}});
  EXPECT_EQ(other.result_int(), 200u);
  EXPECT_EQ(Header(other, "ETag"), etag);

  // A write that changes the page: the old tag no longer matches, and the new one differs.
  auto patch = again.Do(http::verb::patch, single, R"({"data":{"views":2}})", Auth());
  ASSERT_EQ(patch.result_int(), 200u) << patch.body();
  ASSERT_EQ(again.Do(http::verb::post, single + "/publish", "", Auth()).result_int(), 200u);
  auto changed = again.Get(listing, {{"If-None-Match", etag}});
  ASSERT_EQ(changed.result_int(), 200u);
  EXPECT_NE(Header(changed, "ETag"), etag);
  EXPECT_NE(changed.body(), from_database.body());
  auto changed_doc = again.Get(single, {{"If-None-Match", doc_etag}});
  ASSERT_EQ(changed_doc.result_int(), 200u);
  EXPECT_NE(Header(changed_doc, "ETag"), doc_etag);
  // And the connection stayed in step through the 304s.
  EXPECT_EQ(again.Get("/healthz").result_int(), 200u);
}

TEST_F(HttpConventionsTest, CodedBodiesDecodeToTheIdenticalBytesAndAreMadeOncePerFill) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  std::string root;
  for (int i = 0; i < 30; ++i) {
    root = CreateDoc(c, "post", {{"title", "post number " + std::to_string(i)}, {"views", i}},
                     /*publish=*/true);
  }
  const std::string listing = "/v1/default/types/post/documents?limit=30";
  auto plain = c.Get(listing);
  ASSERT_EQ(plain.result_int(), 200u);
  ASSERT_GE(plain.body().size(), 2048u);
  EXPECT_EQ(Header(plain, "Content-Encoding"), "");
  EXPECT_EQ(Header(plain, "Vary"), "Accept-Encoding");
  const std::string etag = Header(plain, "ETag");
  const std::string tag = etag.substr(1, 32);

  const uint64_t made_before = engine_->Stats().derived_forms;
  struct Case {
    std::string accept, coding;
  };
  for (const Case& k : {Case{"gzip", "gzip"}, Case{"gzip, deflate, br", "br"},
                        Case{"br;q=0.5, gzip", "gzip"}, Case{"br", "br"}}) {
    auto coded = c.Get(listing, {{"Accept-Encoding", k.accept}});
    ASSERT_EQ(coded.result_int(), 200u) << k.accept;
    EXPECT_EQ(Header(coded, "Content-Encoding"), k.coding) << k.accept;
    EXPECT_EQ(Header(coded, "ETag"), "\"" + tag + "-" + k.coding + "\"") << k.accept;
    EXPECT_EQ(Header(coded, "Vary"), "Accept-Encoding");
    EXPECT_EQ(Header(coded, "X-Cache-Status"), "HIT");
    EXPECT_LT(coded.body().size() * 3, plain.body().size()) << k.accept;
    std::optional<std::string> decoded =
        k.coding == "gzip" ? test::Gunzip(coded.body()) : test::Unbrotli(coded.body());
    ASSERT_TRUE(decoded.has_value()) << k.accept;
    EXPECT_EQ(*decoded, plain.body()) << k.accept;
    // HEAD describes the coded body.
    auto head = c.Do(http::verb::head, listing, "", {{"Accept-Encoding", k.accept}});
    EXPECT_EQ(Header(head, "Content-Length"), std::to_string(coded.body().size()));
    // The client's copy in any coding is current.
    EXPECT_EQ(c.Get(listing, {{"Accept-Encoding", k.accept}, {"If-None-Match", etag}}).result_int(),
              304u);
  }
  // Two codings of one fill: each made once, whatever the number of requests.
  EXPECT_EQ(engine_->Stats().derived_forms, made_before + 2);
  EXPECT_THAT(c.Get("/metrics").body(),
              HasSubstr("\nfolio_derived_forms_total " + std::to_string(made_before + 2) + "\n"));

  // A new fill (the page changed) is coded again, once.
  ASSERT_EQ(
      c.Do(http::verb::patch, "/v1/default/documents/" + root, R"({"data":{"views":99}})", Auth())
          .result_int(),
      200u);
  ASSERT_EQ(
      c.Do(http::verb::post, "/v1/default/documents/" + root + "/publish", "", Auth()).result_int(),
      200u);
  auto fresh_plain = c.Get(listing);
  for (int i = 0; i < 3; ++i) {
    auto fresh = c.Get(listing, {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(test::Gunzip(fresh.body()), fresh_plain.body());
  }
  EXPECT_EQ(engine_->Stats().derived_forms, made_before + 3);

  // Small bodies go as they are.
  auto empty =
      c.Get("/v1/default/types/post/documents?where.views=12345", {{"Accept-Encoding", "gzip"}});
  ASSERT_EQ(empty.result_int(), 200u);
  EXPECT_EQ(Header(empty, "Content-Encoding"), "");
  EXPECT_EQ(nlohmann::json::parse(empty.body())["meta"]["count"], 0);
}

TEST_F(HttpConventionsTest, HeadAnswersAsGetWithoutTheBody) {
  StartServer();
  Client c = Connect();
  const std::string root = SeedOne(c);
  const std::vector<std::string> targets = {"/v1/default/types/post/documents",
                                            "/v1/default/documents/" + root, "/healthz",
                                            "/v1/types", "/v1/default/documents/nope"};
  for (const std::string& target : targets) {
    c.Get(target);
    auto get = c.Get(target);
    auto head = c.Do(http::verb::head, target);
    EXPECT_EQ(head.result_int(), get.result_int()) << target;
    EXPECT_TRUE(head.body().empty()) << target;
    EXPECT_EQ(Header(head, "Content-Length"), std::to_string(get.body().size())) << target;
    EXPECT_EQ(Header(head, "Content-Type"), Header(get, "Content-Type")) << target;
  }
  // The connection is still in step: the next request gets its own answer.
  EXPECT_EQ(c.Get("/healthz").result_int(), 200u);
  // Errors found before routing (a target that is not UTF-8, a doubled header) are bodiless
  // too: their body would otherwise be read as the next response.
  auto bad = c.Do(http::verb::head, "/v1/%ff/types/post/documents");
  EXPECT_EQ(bad.result_int(), 400u);
  EXPECT_TRUE(bad.body().empty());
  auto doubled = c.Do(http::verb::head, "/healthz");
  EXPECT_EQ(doubled.result_int(), 200u);
  c.WriteRaw(
      "HEAD /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
      "Authorization: Bearer b\r\n\r\n");
  auto two_auth = c.Read(/*header_only=*/true);
  ASSERT_TRUE(two_auth.has_value());
  EXPECT_EQ(two_auth->result_int(), 400u);
  EXPECT_EQ(c.Get("/healthz").result_int(), 200u) << "the connection is still in step";
}

TEST_F(HttpConventionsTest, OptionsAndFourOhFiveNameTheAllowedMethods) {
  StartServer();
  Client c = Connect();
  const std::string root = SeedOne(c);
  struct Case {
    std::string target, allow;
  };
  for (const Case& k : {Case{"/v1/default/types/post/documents", "GET, HEAD, POST"},
                        Case{"/v1/default/documents/" + root, "GET, HEAD, PUT, PATCH, DELETE"},
                        Case{"/v1/default/documents/" + root + "/publish", "POST"},
                        Case{"/v1/default/documents/" + root + "/permissions", "GET, HEAD, PUT"},
                        Case{"/v1/types", "GET, HEAD, POST"}, Case{"/healthz", "GET, HEAD"}}) {
    auto options = c.Do(http::verb::options, k.target);
    EXPECT_EQ(options.result_int(), 204u) << k.target << " " << options.body();
    EXPECT_EQ(Header(options, "Allow"), k.allow + ", OPTIONS") << k.target;
    EXPECT_EQ(Header(options, "Access-Control-Allow-Origin"), "") << "CORS is opt-in";
  }
  auto refused = c.Do(http::verb::delete_, "/v1/default/types/post/documents", "", Auth());
  EXPECT_EQ(refused.result_int(), 405u);
  EXPECT_EQ(Header(refused, "Allow"), "GET, HEAD, POST");
  EXPECT_THAT(Body(refused)["error"]["message"].get<std::string>(), HasSubstr("GET, HEAD, POST"));
  auto publish_get = c.Get("/v1/default/documents/" + root + "/publish");
  EXPECT_EQ(publish_get.result_int(), 405u);
  EXPECT_EQ(Header(publish_get, "Allow"), "POST");
}

TEST_F(HttpConventionsTest, CorsIsOptInAndAnswersPreflightsForAllowedOrigins) {
  config_.cors_origins = {"https://app.example"};
  StartServer();
  Client c = Connect();
  SeedOne(c);
  const std::string list = "/v1/default/types/post/documents";
  auto preflight = c.Do(http::verb::options, list, "",
                        {{"Origin", "https://app.example"},
                         {"Access-Control-Request-Method", "POST"},
                         {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(preflight.result_int(), 204u) << preflight.body();
  EXPECT_EQ(Header(preflight, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(Header(preflight, "Access-Control-Allow-Methods"), "GET, HEAD, POST, OPTIONS");
  EXPECT_THAT(Header(preflight, "Access-Control-Allow-Headers"), HasSubstr("Authorization"));
  EXPECT_THAT(Header(preflight, "Access-Control-Allow-Headers"), HasSubstr("Content-Type"));
  EXPECT_THAT(Header(preflight, "Access-Control-Allow-Headers"), HasSubstr("X-Folio-Principal"));
  EXPECT_EQ(Header(preflight, "Access-Control-Max-Age"), "600");

  // A simple request from the origin is answered with it, and can read the cache headers.
  auto get = c.Get(list, {{"Origin", "https://app.example"}});
  EXPECT_EQ(get.result_int(), 200u);
  EXPECT_EQ(Header(get, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(Header(get, "Vary"), "Accept-Encoding, Origin");
  EXPECT_THAT(Header(get, "Access-Control-Expose-Headers"), HasSubstr("X-Cache-Status"));
  // Errors carry it too, so a browser can read them.
  auto missing = c.Get("/v1/default/documents/nope", {{"Origin", "https://app.example"}});
  EXPECT_EQ(missing.result_int(), 404u);
  EXPECT_EQ(Header(missing, "Access-Control-Allow-Origin"), "https://app.example");

  // Another origin gets no CORS headers, on a preflight or otherwise.
  auto other = c.Do(http::verb::options, list, "",
                    {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(Header(other, "Access-Control-Allow-Origin"), "");
  EXPECT_EQ(Header(other, "Access-Control-Allow-Methods"), "");
  EXPECT_EQ(
      Header(c.Get(list, {{"Origin", "https://evil.example"}}), "Access-Control-Allow-Origin"), "");
}

TEST_F(HttpConventionsTest, CorsAnyOriginFromTheConfigFile) {
  const std::string path = (dir_ / "serve.json").string();
  std::filesystem::create_directories(dir_);
  std::ofstream(path) << R"({"cors": "*"})";
  HttpConfig loaded;
  ASSERT_TRUE(LoadHttpConfigFile(path, &loaded).ok());
  ASSERT_EQ(loaded.cors_origins, std::vector<std::string>{"*"});
  config_.cors_origins = loaded.cors_origins;
  StartServer();
  Client c = Connect();
  auto res = c.Get("/healthz", {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(Header(res, "Access-Control-Allow-Origin"), "http://localhost:3000");
  std::ofstream(path) << R"({"cors": 7})";
  EXPECT_FALSE(LoadHttpConfigFile(path, &loaded).ok());
}

TEST_F(HttpConventionsTest, CreatedHasALocationAndUnauthorizedNamesTheScheme) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  auto created = c.Do(http::verb::post, "/v1/default/types/post/documents",
                      R"({"data":{"title":"t"}})", Auth());
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  const std::string root = Body(created)["data"]["root_id"].get<std::string>();
  EXPECT_EQ(Header(created, "Location"), "/v1/default/documents/" + root);
  auto followed = c.Get(Header(created, "Location") + "?status=draft", Auth());
  EXPECT_EQ(followed.result_int(), 200u) << followed.body();

  auto unauthorized =
      c.Do(http::verb::post, "/v1/default/types/post/documents", R"({"data":{"title":"t"}})");
  EXPECT_EQ(unauthorized.result_int(), 401u);
  EXPECT_EQ(Header(unauthorized, "WWW-Authenticate"), "Bearer realm=\"folio\"");
  auto draft = c.Get("/v1/default/documents/" + root + "?status=draft");
  EXPECT_EQ(draft.result_int(), 401u);
  EXPECT_EQ(Header(draft, "WWW-Authenticate"), "Bearer realm=\"folio\"");
}

TEST_F(HttpConventionsTest, MetricsNameTheBuild) {
  StartServer();
  Client c = Connect();
  auto metrics = c.Get("/metrics");
  EXPECT_THAT(metrics.body(), HasSubstr("folio_build_info{version=\"" +
                                        std::string(FolioVersion()) + "\",sqlite=\""));
}

TEST_F(HttpConventionsTest, EveryAnswerCarriesARequestId) {
  StartServer();
  Client c = Connect();
  EXPECT_EQ(Header(c.Get("/healthz", {{"X-Request-Id", "trace-42"}}), "X-Request-Id"), "trace-42");
  const std::string a = Header(c.Get("/healthz"), "X-Request-Id");
  const std::string b = Header(c.Get("/v1/nope"), "X-Request-Id");
  EXPECT_FALSE(a.empty());
  EXPECT_FALSE(b.empty());
  EXPECT_NE(a, b);
  // An id that could forge a log line or a header is replaced, not echoed.
  const std::string spaced = Header(c.Get("/healthz", {{"X-Request-Id", "a b"}}), "X-Request-Id");
  EXPECT_NE(spaced, "a b");
  EXPECT_FALSE(spaced.empty());
}

// The access log as an operator reads it: folio serve's stderr, one JSON object per answered
// request, flushed by the time Run() returns.
TEST_F(HttpConventionsTest, AccessLogLinesOnStderrParseBackAsJson) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string logged;
  std::thread reader([&] {
    char buffer[4096];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
      logged.append(buffer, static_cast<size_t>(n));
  });
  const int saved_stderr = ::dup(STDERR_FILENO);
  ::dup2(fds[1], STDERR_FILENO);
  config_.access_log = true;
  config_.log_format = "json";
  StartServer();
  {
    Client c = Connect();
    SeedOne(c);
    c.Get("/v1/default/types/post/documents", {{"X-Request-Id", "trace-1"}});
    c.Get("/v1/default/types/post/documents", {{"X-Request-Id", "trace-2"}});
    c.Get("/v1/default/documents/missing", {{"X-Request-Id", "trace-3"}});
  }
  StopServer();
  ::dup2(saved_stderr, STDERR_FILENO);
  ::close(saved_stderr);
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);

  std::map<std::string, json> by_id;
  std::istringstream lines(logged);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;  // the server's own messages are text
    const json j = json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    if (j.contains("request_id")) by_id[j["request_id"].get<std::string>()] = j;
  }
  ASSERT_TRUE(by_id.count("trace-1") && by_id.count("trace-2") && by_id.count("trace-3")) << logged;
  EXPECT_EQ(by_id["trace-1"]["route"], "list_documents");
  EXPECT_EQ(by_id["trace-1"]["status"], 200);
  EXPECT_EQ(by_id["trace-1"]["tier"], "database");
  EXPECT_EQ(by_id["trace-2"]["tier"], "memory");
  EXPECT_EQ(by_id["trace-2"]["level"], "info");
  EXPECT_GT(by_id["trace-2"]["bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(by_id["trace-3"]["status"], 404);
  EXPECT_EQ(by_id["trace-3"]["level"], "warn");
  for (const auto& [id, j] : by_id) {
    for (const char* key : {"ts", "client", "method", "target", "duration_ms"})
      EXPECT_TRUE(j.contains(key)) << id << " lacks " << key;
  }
}

}  // namespace
}  // namespace folio::app
