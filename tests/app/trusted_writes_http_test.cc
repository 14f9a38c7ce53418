// Writes a CMS can trust (issue 13) through the HTTP service: typed field values, a type's JSON
// Schema, write permissions decided by X-Folio-Principal (with the token), exact JSON. Every
// refusal is a clear 4xx that writes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/http_fixture.h"

namespace folio::app {
namespace {

using namespace folio::app::http_testing;  // NOLINT: the harness's names read as local ones
using ::testing::HasSubstr;

class TrustedWritesTest : public HttpServerTest {
 protected:
  void SetUp() override {
    HttpServerTest::SetUp();
    StartServer();
    Client c = Connect();
    auto res = c.Do(http::verb::post, "/v1/types", R"({
      "id": "memo",
      "queryableFields": [
        {"name": "views", "kind": "scalar", "type": "integer"},
        {"name": "score", "kind": "scalar", "type": "number"},
        {"name": "done", "kind": "scalar", "type": "boolean"},
        {"name": "due", "kind": "scalar", "type": "date"},
        {"name": "title", "kind": "scalar", "type": "text"},
        {"name": "tags", "kind": "facet"}
      ],
      "settings": {"versioning": true,
                   "baseGrants": {"editor": ["create", "update", "publish"]}}
    })",
                    Auth());
    ASSERT_EQ(res.result_int(), 200u) << res.body();
  }

  static std::map<std::string, std::string> As(const std::string& principal) {
    return Auth({{"X-Folio-Principal", principal}});
  }

  // The current draft's raw `data` bytes as the API returns them (the response text between
  // "data": and the document's next key), so byte-exactness can be checked without a parser.
  static std::string RawData(const std::string& body) {
    const std::string key = "\"data\":{\"id\"";
    size_t doc = body.find(key);
    if (doc == std::string::npos) return "";
    size_t at = body.find(",\"data\":", doc + key.size());
    if (at == std::string::npos) return "";
    at += 8;
    size_t end = body.find(",\"created_at\":", at);
    return end == std::string::npos ? "" : body.substr(at, end - at);
  }

  // How many document rows the engine's store holds, for "nothing was written".
  int64_t DraftCount(Client& c) {
    auto res = c.Get("/v1/default/types/memo/documents?status=draft&limit=100", Auth());
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    return static_cast<int64_t>(Body(res)["data"].size());
  }
};

// ---- Typed fields ----------------------------------------------------------------------------

TEST_F(TrustedWritesTest, TypedFieldsTakeGoodNullAndAbsentValuesAndRefuseBadOnes) {
  Client c = Connect();
  const std::string create = "/v1/default/types/memo/documents";
  for (const char* good :
       {R"({"views":3,"score":1.5,"done":true,"due":1700000000,"title":"t","tags":["a",2]})",
        R"({"views":null,"score":null,"done":null,"due":null,"title":null})", R"({})"}) {
    auto res = c.Do(http::verb::post, create, std::string("{\"data\":") + good + "}", Auth());
    EXPECT_EQ(res.result_int(), 201u) << good << " -> " << res.body();
  }
  const int64_t before = DraftCount(c);
  const std::vector<std::pair<std::string, std::vector<std::string>>> bad = {
      {R"({"views":"not-a-number"})", {"'views'", "integer", "\"not-a-number\""}},
      {R"({"views":1.5})", {"'views'", "integer", "1.5"}},
      {R"({"score":"1.5"})", {"'score'", "number"}},
      {R"({"done":"yes"})", {"'done'", "boolean", "\"yes\""}},
      {R"({"due":"2024-01-01"})", {"'due'", "date"}},
      {R"({"title":42})", {"'title'", "text", "42"}},
      {R"({"tags":[{"x":1}]})", {"facet 'tags'"}},
  };
  for (const auto& [data, parts] : bad) {
    auto res = c.Do(http::verb::post, create, "{\"data\":" + data + "}", Auth());
    ASSERT_EQ(res.result_int(), 400u) << data << " -> " << res.body();
    EXPECT_EQ(ErrorCodeOf(res), "bad_request") << res.body();
    for (const auto& part : parts)
      EXPECT_THAT(MessageOf(res), HasSubstr(part)) << data;
  }
  EXPECT_EQ(DraftCount(c), before);

  // The issue's example: a bad value used to be stored and then matched a filter.
  auto listed = c.Get("/v1/default/types/memo/documents?status=draft&where.views.gte=5", Auth());
  ASSERT_EQ(listed.result_int(), 200u) << listed.body();
  EXPECT_TRUE(Body(listed)["data"].empty());

  // Updates and patches are checked on the document they would leave.
  const std::string root = CreateDoc(c, "memo", {{"views", 1}}, false);
  auto put =
      c.Do(http::verb::put, "/v1/default/documents/" + root, R"({"data":{"views":"x"}})", Auth());
  EXPECT_EQ(put.result_int(), 400u) << put.body();
  auto patch =
      c.Do(http::verb::patch, "/v1/default/documents/" + root, R"({"data":{"done":"no"}})", Auth());
  EXPECT_EQ(patch.result_int(), 400u) << patch.body();
  auto doc = c.Get("/v1/default/documents/" + root + "?status=draft", Auth());
  EXPECT_EQ(Body(doc)["data"]["version"], 1) << doc.body();
}

// ---- Write permissions -------------------------------------------------------------------------

TEST_F(TrustedWritesTest, PrincipalsNeedARuleOrAGrantAndDenyWins) {
  Client c = Connect();
  const std::string root = CreateDoc(c, "memo", {{"views", 1}}, false);
  const std::string doc = "/v1/default/documents/" + root;
  // Rules: u-deny is denied everything; u-allow is allowed delete and manage.
  auto rules = c.Do(http::verb::put, doc + "/permissions", R"({"rules":[
      {"principal_type":"user","principal_id":"u-deny","permission":"update","effect":"deny"},
      {"principal_type":"user","principal_id":"u-deny","permission":"publish","effect":"deny"},
      {"principal_type":"user","principal_id":"u-deny","permission":"delete","effect":"deny"},
      {"principal_type":"user","principal_id":"u-deny","permission":"manage","effect":"deny"},
      {"principal_type":"user","principal_id":"u-allow","permission":"delete","effect":"allow"},
      {"principal_type":"group","principal_id":"g-ops","permission":"manage","effect":"allow"}]})",
                    Auth());
  ASSERT_EQ(rules.result_int(), 200u) << rules.body();

  struct Attempt {
    http::verb verb;
    std::string target, body;
  };
  const std::map<std::string, Attempt> attempts = {
      {"update", {http::verb::put, doc, R"({"data":{"views":2}})"}},
      {"patch", {http::verb::patch, doc, R"({"data":{"views":3}})"}},
      {"publish", {http::verb::post, doc + "/publish", ""}},
      {"unpublish", {http::verb::post, doc + "/unpublish", ""}},
      {"manage", {http::verb::put, doc + "/permissions", R"({"rules":[]})"}},
      {"delete", {http::verb::delete_, doc, ""}},
  };
  auto version = [&] {
    auto res = c.Get(doc + "?status=draft", Auth());
    return Body(res)["data"]["version"].get<int64_t>();
  };
  const int64_t v0 = version();
  // Denied: a deny rule (even for an editor the type grants), no rule and no grant, a role the
  // type does not grant, a group no rule names.
  for (const std::string principal :
       {"user:u-deny,role:editor", "user:nobody", "role:viewer", "group:g-other"}) {
    for (const auto& [name, a] : attempts) {
      auto res = c.Do(a.verb, a.target, a.body, As(principal));
      EXPECT_EQ(res.result_int(), 403u) << principal << " " << name << " -> " << res.body();
      if (res.result_int() == 403u) {
        EXPECT_EQ(ErrorCodeOf(res), "forbidden");
        EXPECT_THAT(MessageOf(res), HasSubstr(root));
      }
    }
  }
  EXPECT_EQ(version(), v0);
  auto still = c.Get(doc + "/permissions", Auth());
  EXPECT_EQ(Body(still)["data"]["rules"].size(), 6u) << still.body();

  // Allowed: the type grants editors update and publish; rules allow delete and manage.
  EXPECT_EQ(
      c.Do(http::verb::put, doc, R"({"data":{"views":2}})", As("user:ed,role:editor")).result_int(),
      200u);
  EXPECT_EQ(c.Do(http::verb::post, doc + "/publish", "", As("role:editor")).result_int(), 200u);
  EXPECT_EQ(c.Do(http::verb::delete_, doc, "", As("role:editor")).result_int(), 403u);
  auto ops_rules = c.Get(doc + "/permissions", As("user:x,group:g-ops"));
  EXPECT_EQ(ops_rules.result_int(), 200u) << ops_rules.body();
  EXPECT_EQ(c.Do(http::verb::delete_, doc, "", As("user:u-allow")).result_int(), 204u);
}

TEST_F(TrustedWritesTest, AuthorsAreRecordedAndNoPrincipalMeansAdministrator) {
  Client c = Connect();
  auto created = c.Do(http::verb::post, "/v1/default/types/memo/documents",
                      R"({"data":{"views":1}})", As("user:erin,role:editor"));
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  const json doc = Body(created)["data"];
  EXPECT_EQ(doc["created_by"], "erin");
  EXPECT_EQ(doc["updated_by"], "erin");
  const std::string root = doc["root_id"].get<std::string>();
  auto updated = c.Do(http::verb::patch, "/v1/default/documents/" + root, R"({"data":{"views":2}})",
                      As("user:frank,role:editor"));
  ASSERT_EQ(updated.result_int(), 200u) << updated.body();
  EXPECT_EQ(Body(updated)["data"]["created_by"], "erin");
  EXPECT_EQ(Body(updated)["data"]["updated_by"], "frank");
  // A create the type does not grant.
  auto refused = c.Do(http::verb::post, "/v1/default/types/memo/documents",
                      R"({"data":{"views":1}})", As("user:v,role:viewer"));
  EXPECT_EQ(refused.result_int(), 403u) << refused.body();
  // The token alone is an administrator: allowed everything, as before.
  EXPECT_EQ(c.Do(http::verb::delete_, "/v1/default/documents/" + root, "", Auth()).result_int(),
            204u);
  // A malformed principal is a 400, not an administrator.
  auto bad =
      c.Do(http::verb::post, "/v1/default/documents/" + root + "/restore", "", As("wizard:merlin"));
  EXPECT_EQ(bad.result_int(), 400u) << bad.body();
}

// ---- JSON Schema -------------------------------------------------------------------------------

TEST_F(TrustedWritesTest, ATypesJsonSchemaChecksEveryWriteAndABadSchemaIsRefused) {
  Client c = Connect();
  auto bad_schema = c.Do(http::verb::post, "/v1/types",
                         R"({"id":"broken","queryableFields":[],)"
                         R"("settings":{"jsonSchema":{"type":"object","minProperties":"two"}}})",
                         Auth());
  EXPECT_EQ(bad_schema.result_int(), 400u) << bad_schema.body();
  EXPECT_THAT(MessageOf(bad_schema), HasSubstr("jsonSchema"));
  EXPECT_EQ(c.Get("/v1/types/broken", Auth()).result_int(), 404u);

  auto registered = c.Do(http::verb::post, "/v1/types", R"({"id":"card","queryableFields":[],
      "settings":{"jsonSchema":{"type":"object","required":["name"],
        "properties":{"name":{"type":"string"},"sizes":{"type":"array","items":{"type":"integer"}}}}}})",
                         Auth());
  ASSERT_EQ(registered.result_int(), 200u) << registered.body();
  // The schema is answered back with the type, in its settings.
  auto type = c.Get("/v1/types/card", Auth());
  EXPECT_EQ(Body(type)["data"]["settings"]["jsonSchema"]["required"], json::array({"name"}))
      << type.body();

  auto bad = c.Do(http::verb::post, "/v1/default/types/card/documents",
                  R"({"data":{"name":"n","sizes":[1,"two"]}})", Auth());
  ASSERT_EQ(bad.result_int(), 400u) << bad.body();
  EXPECT_THAT(MessageOf(bad), HasSubstr("/sizes/1"));
  EXPECT_THAT(MessageOf(bad), HasSubstr("type"));
  const std::string root = CreateDoc(c, "card", {{"name", "n"}}, false);
  auto patch =
      c.Do(http::verb::patch, "/v1/default/documents/" + root, R"({"data":{"name":null}})", Auth());
  ASSERT_EQ(patch.result_int(), 400u) << patch.body();
  EXPECT_THAT(MessageOf(patch), HasSubstr("required"));
  EXPECT_EQ(
      c.Do(http::verb::patch, "/v1/default/documents/" + root, R"({"data":{"sizes":[3]}})", Auth())
          .result_int(),
      200u);
}

// ---- Exact JSON
// ----------------------------------------------------------------------------------

TEST_F(TrustedWritesTest, DataComesBackAsTheClientWroteIt) {
  Client c = Connect();
  const std::string data =
      R"({"zeta":1e2,"big":12345678901234567890123,"dec":0.1000000000000000055511151231257827,)"
      R"("s":"caf\u00e9","views":7,"nested":{"y":1.50,"x":[3,2,1]}})";
  auto created = c.Do(http::verb::post, "/v1/default/types/memo/documents",
                      "{\"title\":null, \"data\": " + data + " }", Auth());
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  EXPECT_EQ(RawData(created.body()), data) << created.body();
  const std::string root = Body(created)["data"]["root_id"].get<std::string>();
  auto read = c.Get("/v1/default/documents/" + root + "?status=draft", Auth());
  EXPECT_EQ(RawData(read.body()), data) << read.body();
  auto listed = c.Get("/v1/default/types/memo/documents?status=draft", Auth());
  EXPECT_NE(listed.body().find("\"data\":" + data), std::string::npos) << listed.body();

  auto patched = c.Do(http::verb::patch, "/v1/default/documents/" + root,
                      R"({"data":{"dec":2.50,"nested":{"x":null},"new":1E3}})", Auth());
  ASSERT_EQ(patched.result_int(), 200u) << patched.body();
  EXPECT_EQ(RawData(patched.body()),
            R"({"zeta":1e2,"big":12345678901234567890123,"dec":2.50,"s":"caf\u00e9","views":7,)"
            R"("nested":{"y":1.50},"new":1E3})");
  // Duplicate keys are ambiguous (SQLite and a parser may read different ones): refused.
  auto dup = c.Do(http::verb::put, "/v1/default/documents/" + root,
                  R"({"data":{"views":1,"views":2}})", Auth());
  EXPECT_EQ(dup.result_int(), 400u) << dup.body();
  EXPECT_THAT(MessageOf(dup), HasSubstr("'views' appears twice"));
}

}  // namespace
}  // namespace folio::app
