// HTTP conventions browsers, CDNs and clients expect (issue 14, item 2, in part): HEAD, OPTIONS
// and Allow, opt-in CORS with preflight, Location on 201, WWW-Authenticate on 401.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "build_info.h"
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

TEST_F(HttpConventionsTest, HeadAnswersAsGetWithoutTheBody) {
  StartServer();
  Client c = Connect();
  const std::string root = SeedOne(c);
  const std::vector<std::string> targets = {"/v1/default/types/post/documents",
                                            "/v1/default/documents/" + root, "/healthz",
                                            "/v1/types", "/v1/default/documents/nope"};
  for (const std::string& target : targets) {
    c.Get(target);  // warm: a listing's body names the tier that answered
    auto get = c.Get(target);
    auto head = c.Do(http::verb::head, target);
    EXPECT_EQ(head.result_int(), get.result_int()) << target;
    EXPECT_TRUE(head.body().empty()) << target;
    EXPECT_EQ(Header(head, "Content-Length"), std::to_string(get.body().size())) << target;
    EXPECT_EQ(Header(head, "Content-Type"), Header(get, "Content-Type")) << target;
  }
  // The connection is still in step: the next request gets its own answer.
  EXPECT_EQ(c.Get("/healthz").result_int(), 200u);
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
  EXPECT_EQ(Header(get, "Vary"), "Origin");
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

}  // namespace
}  // namespace folio::app
