// GET /v1/openapi.json held to the live router: every Route has an operation named for it,
// every described (path, method) is served by the route its operationId names, and a published
// validator (openapi-spec-validator) accepts the document.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "http/http_metrics.h"
#include "http/openapi.h"
#include "support/http_fixture.h"

namespace folio::app {
namespace {

using namespace folio::app::http_testing;  // NOLINT: the harness's names read as local ones

const std::map<std::string, http::verb>& Verbs() {
  static const std::map<std::string, http::verb> kVerbs = {{"get", http::verb::get},
                                                           {"post", http::verb::post},
                                                           {"put", http::verb::put},
                                                           {"patch", http::verb::patch},
                                                           {"delete", http::verb::delete_}};
  return kVerbs;
}

struct Operation {
  std::string path, method;
  json op;
};

// The operations of `doc`, each (path, method) once; keys that are not methods (parameters,
// summary) are skipped, and a method folio answers generically must not be listed.
std::vector<Operation> Operations(const json& doc) {
  std::vector<Operation> out;
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, op] : item.items()) {
      EXPECT_NE(method, "head") << path << ": HEAD is generic, not listed";
      EXPECT_NE(method, "options") << path << ": OPTIONS is generic, not listed";
      EXPECT_NE(method, "trace") << path << ": folio serves no TRACE";
      if (Verbs().count(method) == 0) continue;
      out.push_back({path, method, op});
    }
  }
  return out;
}

std::set<std::string> RouteNames() {
  std::set<std::string> names;
  for (int r = 0; r < static_cast<int>(Route::kUnmatched); ++r)
    names.insert(RouteName(static_cast<Route>(r)));
  return names;
}

// The router's own answer to a path it has no route for (Route::kUnmatched), as opposed to a
// route that found no such document.
bool IsNoRoute(const Response& res) {
  if (res.result_int() != 404) return false;
  json body = json::parse(res.body(), nullptr, false);
  if (body.is_discarded() || !body.contains("error")) return false;
  return body["error"].value("message", "").rfind("no route for ", 0) == 0;
}

// How many requests /metrics has counted for `route`, over every status.
uint64_t RequestsCounted(Client& c, const std::string& route) {
  const std::string text = c.Get("/metrics").body();
  const std::string prefix = "folio_http_requests_total{route=\"" + route + "\",";
  uint64_t total = 0;
  size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    const size_t space = text.find("} ", at);
    const size_t end = text.find('\n', at);
    if (space == std::string::npos || end == std::string::npos) break;
    total += std::stoull(text.substr(space + 2, end - space - 2));
    at = end;
  }
  return total;
}

// `path` with each {name} replaced by its value; "" when a name has none.
std::string Instantiate(std::string path, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    const std::string key = "{" + name + "}";
    for (size_t at = path.find(key); at != std::string::npos; at = path.find(key))
      path.replace(at, key.size(), value);
  }
  return path.find('{') == std::string::npos ? path : "";
}

// The request bodies an operation documents: the value of each example of its JSON body, or
// one empty body when it takes none.
std::vector<std::string> ExampleBodies(const json& op) {
  if (!op.contains("requestBody")) return {""};
  std::vector<std::string> bodies;
  for (const auto& [name, example] :
       op["requestBody"]["content"]["application/json"]["examples"].items()) {
    bodies.push_back(example.at("value").dump());
  }
  return bodies;
}

// The answer carries the headers its response object lists that folio always sends, and
// sends none of those it does not list. (Vary and Content-Encoding depend on the request.)
void CheckHeaders(const Response& res, const json& documented) {
  for (const char* name :
       {"ETag", "Location", "X-Cache-Status", "X-Cache-Source", "Cache-Control", "X-Request-Id"}) {
    EXPECT_EQ(!Header(res, name).empty(), documented.contains(name))
        << res.result_int() << " answer: header " << name
        << (documented.contains(name) ? " documented but not sent" : " sent but not documented");
  }
}

class OpenApiTest : public HttpServerTest {
 protected:
  json Served(Client& c) {
    auto res = c.Get("/v1/openapi.json");
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    return Body(res);
  }

  // A published "post" with its own slug, so a destructive operation spoils no other's.
  std::string FreshDocument(Client& c, const std::string& slug) {
    return CreateDoc(c, "post", {{"title", "t"}, {"views", 1}, {"tags", {"a"}}},
                     /*publish=*/true, "default", {{"slug", slug}});
  }
};

TEST_F(OpenApiTest, ServedDocumentIsOpenApi310AndEqualsOpenApiJson) {
  StartServer();
  Client c = Connect();
  auto res = c.Get("/v1/openapi.json");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(Header(res, "Content-Type"), "application/json");
  EXPECT_EQ(res.body(), OpenApiJson());
  json doc = json::parse(res.body(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "not JSON";
  EXPECT_EQ(doc.value("openapi", ""), "3.1.0");
  EXPECT_TRUE(doc["info"].contains("version"));
  // Public, like /metrics: no token needed.
  EXPECT_EQ(c.Get("/v1/openapi.json", {}).result_int(), 200u);
  auto head = c.Do(http::verb::head, "/v1/openapi.json");
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_EQ(Header(head, "Content-Length"), std::to_string(res.body().size()));
  auto post = c.Do(http::verb::post, "/v1/openapi.json", "{}", Auth());
  EXPECT_EQ(post.result_int(), 405u);
  EXPECT_EQ(Header(post, "Allow"), "GET, HEAD");
}

// docs/openapi.json is the description for readers of the repository (docs/http.md links it):
// it must be what the server serves. Regenerate it from a running server with
//   curl -s localhost:8080/v1/openapi.json | python3 -m json.tool --indent 2 > docs/openapi.json
TEST(OpenApiFileTest, TheCommittedCopyIsWhatTheServerServes) {
  std::ifstream file(std::string(FOLIO_DOCS_DIR) + "/openapi.json");
  ASSERT_TRUE(file) << "docs/openapi.json is missing";
  const json committed = json::parse(file, nullptr, false);
  ASSERT_FALSE(committed.is_discarded()) << "docs/openapi.json is not JSON";
  EXPECT_TRUE(committed == json::parse(OpenApiJson()))
      << "docs/openapi.json is stale: regenerate it (see the comment above)";
}

TEST_F(OpenApiTest, EveryRouteHasAnOperationAndEveryOperationNamesARoute) {
  json doc = json::parse(OpenApiJson());
  const std::set<std::string> routes = RouteNames();
  std::multiset<std::string> ids;
  for (const Operation& o : Operations(doc)) {
    ASSERT_TRUE(o.op.contains("operationId")) << o.method << " " << o.path;
    const std::string id = o.op["operationId"].get<std::string>();
    ids.insert(id);
    EXPECT_TRUE(routes.count(id)) << o.method << " " << o.path << ": operationId '" << id
                                  << "' is no RouteName()";
  }
  for (int r = 0; r < static_cast<int>(Route::kUnmatched); ++r) {
    const std::string name = RouteName(static_cast<Route>(r));
    EXPECT_NE(name, "unmatched") << "Route " << r << " has no name in RouteName()";
    EXPECT_EQ(ids.count(name), 1u)
        << "route " << name << " is described " << ids.count(name) << " times (want exactly once)";
  }
}

// Each described (path, method), with real ids and its documented example bodies, reaches
// the route its operationId names (counted under that name in /metrics), succeeds, and
// answers a status the operation lists.
TEST_F(OpenApiTest, EveryOperationIsServedByTheRouteItNames) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  // The predicate below is meaningful: an unknown path is the router's 404.
  ASSERT_TRUE(IsNoRoute(c.Get("/v1/default/nowhere")));
  ASSERT_TRUE(IsNoRoute(c.Get("/v1/default/documents/x/nowhere")));

  const json doc = Served(c);
  int n = 0;
  for (const Operation& o : Operations(doc)) {
    const std::string id = o.op.value("operationId", "");
    const std::string slug = "doc-" + std::to_string(n++);
    const std::string root = FreshDocument(c, slug);
    if (id == RouteName(Route::kRestore)) {
      ASSERT_EQ(c.Do(http::verb::delete_, "/v1/default/documents/" + root, "", Auth()).result_int(),
                204u);
    }
    const std::string target = Instantiate(o.path, {{"tenant", "default"},
                                                    {"type", "post"},
                                                    {"id", "post"},
                                                    {"root_id", root},
                                                    {"slug", slug},
                                                    {"n", "1"}});
    ASSERT_FALSE(target.empty()) << o.path << " has a path parameter this test cannot fill";
    for (const std::string& body : ExampleBodies(o.op)) {
      SCOPED_TRACE(o.method + " " + target + " " + body);
      const uint64_t before = RequestsCounted(c, id);
      auto res = c.Do(Verbs().at(o.method), target, body, Auth());
      EXPECT_FALSE(IsNoRoute(res)) << res.body();
      EXPECT_NE(res.result_int(), 405u) << res.body();
      EXPECT_LT(res.result_int(), 300u) << res.body();
      EXPECT_TRUE(o.op["responses"].contains(std::to_string(res.result_int())))
          << "status " << res.result_int() << " is not among the operation's responses";
      EXPECT_GT(RequestsCounted(c, id), before) << "not counted under route '" << id << "'";
      const json& documented =
          o.op["responses"].value(std::to_string(res.result_int()), json::object());
      CheckHeaders(res, documented.value("headers", json::object()));
      if (o.op["responses"].contains("304")) {
        const std::string etag = Header(res, "ETag");
        ASSERT_FALSE(etag.empty()) << "a conditional read without an ETag";
        auto again = c.Do(Verbs().at(o.method), target, body, Auth({{"If-None-Match", etag}}));
        EXPECT_EQ(again.result_int(), 304u) << again.body();
        EXPECT_TRUE(again.body().empty());
        CheckHeaders(again, o.op["responses"]["304"]["headers"]);
      }
    }
  }
  EXPECT_GE(n, static_cast<int>(Route::kUnmatched));
}

// The document's security says which operations need the token; the server agrees.
TEST_F(OpenApiTest, SecurityMatchesTheServer) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  const std::string root = FreshDocument(c, "secured");
  const json doc = Served(c);
  for (const Operation& o : Operations(doc)) {
    ASSERT_TRUE(o.op.contains("security")) << o.method << " " << o.path;
    const json& security = o.op["security"];
    const bool needs = security.size() == 1 && security[0].contains("bearerAuth");
    const bool open = security.empty() || std::any_of(security.begin(), security.end(),
                                                      [](const json& s) { return s.empty(); });
    EXPECT_NE(needs, open) << o.method << " " << o.path << ": " << security.dump();
    const std::string target = Instantiate(o.path, {{"tenant", "default"},
                                                    {"type", "post"},
                                                    {"id", "post"},
                                                    {"root_id", root},
                                                    {"slug", "secured"},
                                                    {"n", "1"}});
    const std::string body = ExampleBodies(o.op).front();
    auto res = c.Do(Verbs().at(o.method), target, body);
    SCOPED_TRACE(o.method + " " + target);
    if (needs) {
      EXPECT_EQ(res.result_int(), 401u) << res.body();
      EXPECT_EQ(Header(res, "WWW-Authenticate"), "Bearer realm=\"folio\"");
      EXPECT_TRUE(o.op["responses"].contains("401"));
    } else {
      EXPECT_LT(res.result_int(), 300u) << res.body();
    }
  }
}

TEST_F(OpenApiTest, ValidatesWithOpenApiSpecValidator) {
  if (std::system("python3 -c 'import openapi_spec_validator' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "openapi-spec-validator is missing (python3 -m pip install "
                    "openapi-spec-validator); the OpenAPI document was NOT validated";
  }
  StartServer();
  Client c = Connect();
  auto res = c.Get("/v1/openapi.json");
  ASSERT_EQ(res.result_int(), 200u);
  const std::filesystem::path file = dir_ / "openapi.json";
  {
    std::ofstream out(file, std::ios::binary);
    out << res.body();
    ASSERT_TRUE(out.good()) << "cannot write " << file;
  }
  const std::string command = "python3 -m openapi_spec_validator '" + file.string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr) << "cannot run " << command;
  std::string output;
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    output.append(buf, got);
  const int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << command << " did not exit: " << output;
  EXPECT_EQ(WEXITSTATUS(status), 0) << command << ":\n" << output;
}

}  // namespace
}  // namespace folio::app
