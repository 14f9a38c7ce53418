// The HTTP service end to end: an HttpServer on 127.0.0.1 (port 0) over an Engine on a temp
// data dir, run on its own thread, spoken to over real sockets by a small Beast client (and raw
// bytes for malformed requests). Every endpoint of docs/design.md §5 and its status codes, the
// cache headers across a write, tokens and principals, listing walks, connection handling
// (keep-alive, pipelining, malformed input, limits, idle timeout, max connections) and graceful
// shutdown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"
#include "folio/tools/seed.h"
#include "http/server.h"
#include "support/http_fixture.h"

namespace folio::app {
namespace {

using namespace folio::app::http_testing;  // NOLINT: the harness's names read as local ones
using tools::SeedDocuments;
using tools::SeedOptions;

// ---- Health, metrics, stats ----------------------------------------------------------------

TEST_F(HttpServerTest, HealthzStatsAndMetrics) {
  StartServer();
  Client c = Connect();
  auto health = c.Get("/healthz");
  EXPECT_EQ(health.result_int(), 200u);
  EXPECT_EQ(Body(health)["status"], "ok");
  EXPECT_EQ(Header(health, "Content-Type"), "application/json");

  RegisterPostType(c);
  CreateDoc(c, "post", {{"title", "a"}, {"views", 1}}, true);
  EXPECT_EQ(c.Get("/v1/default/types/post/documents").result_int(), 200u);
  EXPECT_EQ(c.Get("/v1/default/types/post/documents").result_int(), 200u);  // a memory hit
  EXPECT_EQ(c.Get("/nope").result_int(), 404u);

  auto stats = c.Get("/v1/stats");
  EXPECT_EQ(stats.result_int(), 200u);
  json s = Body(stats);
  EXPECT_TRUE(s.is_object()) << stats.body();

  // On the same connection: every earlier response was recorded before this request was read.
  auto metrics = c.Get("/metrics");
  ASSERT_EQ(metrics.result_int(), 200u);
  EXPECT_NE(Header(metrics, "Content-Type").find("text/plain"), std::string::npos);
  const std::string& m = metrics.body();
  EXPECT_NE(m.find("folio_http_requests_total{route=\"list_documents\",status=\"200\"} 2"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("folio_http_requests_total{route=\"healthz\",status=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("folio_http_requests_total{route=\"create_document\",status=\"201\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("folio_http_requests_total{route=\"publish\",status=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(m.find("folio_cache_hits_total{tier=\"memory\"}"), std::string::npos);
  EXPECT_NE(m.find("folio_cache_hits_total{tier=\"database\"}"), std::string::npos);
  EXPECT_NE(m.find("folio_http_request_duration_seconds"), std::string::npos);

  EXPECT_EQ(c.Do(http::verb::post, "/healthz").result_int(), 405u);
  EXPECT_EQ(c.Do(http::verb::delete_, "/metrics").result_int(), 405u);
  EXPECT_EQ(c.Do(http::verb::put, "/v1/stats", "{}").result_int(), 405u);
}

// ---- Types ---------------------------------------------------------------------------------

TEST_F(HttpServerTest, RegisterTypeIsIdempotentAddsFieldsAndRejectsBadDefinitions) {
  StartServer();
  Client c = Connect();
  const std::string def = R"({"id":"blog-post","fields":{"slug":"text","views":"integer"},)"
                          R"("facets":["tags"]})";
  auto first = c.Do(http::verb::post, "/v1/types", def, Auth());
  ASSERT_EQ(first.result_int(), 200u) << first.body();
  json t = Body(first)["data"];
  EXPECT_EQ(t["id"], "blog-post");
  EXPECT_EQ(t["fields"]["views"], "integer");
  EXPECT_EQ(t["facets"], json::array({"tags"}));

  auto again = c.Do(http::verb::post, "/v1/types", def, Auth());
  EXPECT_EQ(again.result_int(), 200u);
  EXPECT_EQ(Body(again)["data"], t);

  auto more = c.Do(http::verb::post, "/v1/types",
                   R"({"id":"blog-post","fields":{"rating":"number"}})", Auth());
  ASSERT_EQ(more.result_int(), 200u) << more.body();
  EXPECT_EQ(Body(more)["data"]["fields"]["rating"], "number");
  EXPECT_EQ(Body(more)["data"]["fields"]["views"], "integer");  // kept

  // A field's kind cannot change.
  auto changed = c.Do(http::verb::post, "/v1/types",
                      R"({"id":"blog-post","fields":{"views":"text"}})", Auth());
  EXPECT_EQ(changed.result_int(), 409u) << changed.body();
  EXPECT_EQ(ErrorCodeOf(changed), "conflict");

  for (const char* bad : {R"({"fields":{}})", R"({"id":7})", R"({"id":"x","fields":[1]})",
                          R"({"id":"x","fields":{"a":"blob"}})", R"({"id":"x","facets":"tags"})",
                          R"([1])", R"({"id":)"}) {
    auto res = c.Do(http::verb::post, "/v1/types", bad, Auth());
    EXPECT_EQ(res.result_int(), 400u) << bad << " -> " << res.body();
    EXPECT_EQ(ErrorCodeOf(res), "bad_request");
  }
  EXPECT_EQ(c.Do(http::verb::put, "/v1/types", "{}", Auth()).result_int(), 405u);
  // Registered types are listed, and read one by one, in both forms.
  auto list = c.Get("/v1/types");
  ASSERT_EQ(list.result_int(), 200u) << list.body();
  ASSERT_EQ(Body(list)["data"].size(), 1u);
  EXPECT_EQ(Body(list)["data"][0]["id"], "blog-post");
  auto one = c.Get("/v1/types/blog-post");
  ASSERT_EQ(one.result_int(), 200u) << one.body();
  EXPECT_EQ(Body(one)["data"]["fields"]["rating"], "number");
  EXPECT_EQ(Body(one)["data"]["settings"]["versioning"], true);  // the short form's default
  EXPECT_EQ(c.Get("/v1/types/nope").result_int(), 404u);
}

// ---- The document lifecycle ----------------------------------------------------------------

TEST_F(HttpServerTest, DocumentLifecycleThroughTheApi) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);

  auto created =
      c.Do(http::verb::post, "/v1/default/types/post/documents",
           R"({"data":{"title":"Hello","views":1},"slug":"hello","title":"Hello"})", Auth());
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  json doc = Body(created)["data"];
  const std::string root = doc["root_id"];
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["status"], "draft");
  EXPECT_EQ(doc["type"], "post");
  EXPECT_EQ(doc["data"]["title"], "Hello");
  const std::string path = "/v1/default/documents/" + root;

  // A draft is not published: public 404; the draft axis (with the token) has it.
  EXPECT_EQ(c.Get(path).result_int(), 404u);
  auto draft = c.Get(path + "?status=draft", Auth());
  ASSERT_EQ(draft.result_int(), 200u) << draft.body();
  EXPECT_EQ(Body(draft)["data"]["root_id"], root);

  // PUT replaces the data; PATCH merges over the draft.
  auto put = c.Do(http::verb::put, path, R"({"data":{"title":"Hi","views":2}})", Auth());
  ASSERT_EQ(put.result_int(), 200u) << put.body();
  EXPECT_EQ(Body(put)["data"]["version"], 2);
  EXPECT_EQ(Body(put)["data"]["data"], (json{{"title", "Hi"}, {"views", 2}}));
  auto patch = c.Do(http::verb::patch, path, R"({"data":{"views":3,"extra":true}})", Auth());
  ASSERT_EQ(patch.result_int(), 200u) << patch.body();
  EXPECT_EQ(Body(patch)["data"]["data"], (json{{"title", "Hi"}, {"views", 3}, {"extra", true}}));

  // Publish; publishing again is a no-op 200; the published GET answers it.
  auto pub = c.Do(http::verb::post, path + "/publish", "", Auth());
  ASSERT_EQ(pub.result_int(), 200u) << pub.body();
  EXPECT_EQ(Body(pub)["data"]["status"], "published");
  EXPECT_EQ(c.Do(http::verb::post, path + "/publish", "", Auth()).result_int(), 200u);
  auto got = c.Get(path);
  ASSERT_EQ(got.result_int(), 200u) << got.body();
  EXPECT_EQ(Body(got)["data"]["data"]["views"], 3);
  EXPECT_EQ(Header(got, "Content-Type"), "application/json");
  EXPECT_FALSE(Header(got, "X-Cache-Source").empty());

  // Unpublish (twice: a no-op the second time): gone from the published axis.
  EXPECT_EQ(c.Do(http::verb::post, path + "/unpublish", "", Auth()).result_int(), 200u);
  EXPECT_EQ(c.Do(http::verb::post, path + "/unpublish", "", Auth()).result_int(), 200u);
  EXPECT_EQ(c.Get(path).result_int(), 404u);

  // DELETE → 204 with no body; gone on both axes; restore brings the draft back.
  auto del = c.Do(http::verb::delete_, path, "", Auth());
  EXPECT_EQ(del.result_int(), 204u);
  EXPECT_TRUE(del.body().empty());
  EXPECT_EQ(c.Get(path).result_int(), 404u);
  EXPECT_EQ(c.Get(path + "?status=draft", Auth()).result_int(), 404u);
  auto restored = c.Do(http::verb::post, path + "/restore", "", Auth());
  EXPECT_EQ(restored.result_int(), 200u) << restored.body();
  EXPECT_EQ(c.Get(path + "?status=draft", Auth()).result_int(), 200u);

  // Verbs a path does not take.
  EXPECT_EQ(c.Get(path + "/publish").result_int(), 405u);
  EXPECT_EQ(c.Do(http::verb::post, path, "{}", Auth()).result_int(), 405u);
  EXPECT_EQ(c.Do(http::verb::delete_, path + "/permissions", "", Auth()).result_int(), 405u);
  EXPECT_EQ(c.Do(http::verb::put, "/v1/default/types/post/documents", "{}", Auth()).result_int(),
            405u);
}

TEST_F(HttpServerTest, MissingDocumentsAndOtherTenantsAre404) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  const std::string root = CreateDoc(c, "post", {{"title", "mine"}}, true, "acme");
  EXPECT_EQ(c.Get("/v1/acme/documents/" + root).result_int(), 200u);

  auto other = c.Get("/v1/globex/documents/" + root);
  EXPECT_EQ(other.result_int(), 404u);
  EXPECT_EQ(ErrorCodeOf(other), "not_found");
  EXPECT_EQ(c.Get("/v1/globex/documents/" + root + "?status=draft", Auth()).result_int(), 404u);
  EXPECT_EQ(
      c.Do(http::verb::put, "/v1/globex/documents/" + root, R"({"data":{}})", Auth()).result_int(),
      404u);
  EXPECT_EQ(
      c.Do(http::verb::post, "/v1/globex/documents/" + root + "/publish", "", Auth()).result_int(),
      404u);
  EXPECT_EQ(c.Do(http::verb::delete_, "/v1/globex/documents/" + root, "", Auth()).result_int(),
            404u);
  EXPECT_EQ(c.Get("/v1/globex/documents/" + root + "/permissions", Auth()).result_int(), 404u);
  // Still there for its own tenant; another tenant's listing does not show it.
  EXPECT_EQ(c.Get("/v1/acme/documents/" + root).result_int(), 200u);
  auto listing = c.Get("/v1/globex/types/post/documents");
  ASSERT_EQ(listing.result_int(), 200u) << listing.body();
  EXPECT_EQ(Body(listing)["meta"]["count"], 0);

  EXPECT_EQ(c.Get("/v1/acme/documents/00000000-0000-7000-8000-000000000000").result_int(), 404u);
  EXPECT_EQ(c.Get("/v1/acme/documents/no-such-doc").result_int(), 404u);
  EXPECT_EQ(c.Do(http::verb::patch, "/v1/acme/documents/no-such-doc", R"({"data":{}})", Auth())
                .result_int(),
            404u);
}

TEST_F(HttpServerTest, UnknownRoutesAre404) {
  StartServer();
  Client c = Connect();
  for (const char* target :
       {"/", "/v2/stats", "/v1", "/v1/default", "/v1/default/things", "/v1/default/types/post",
        "/v1/default/types/post/documents/extra", "/v1/default/documents/x/publish/now",
        "/v1/default/documents/x/archive", "/healthz/more", "/favicon.ico"}) {
    auto res = c.Get(target);
    EXPECT_EQ(res.result_int(), 404u) << target << " -> " << res.body();
    EXPECT_EQ(ErrorCodeOf(res), "not_found") << target;
  }
}

TEST_F(HttpServerTest, SlugConflictIs409) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  CreateDoc(c, "post", {{"title", "a"}}, false, "default", {{"slug", "same"}});
  auto dup = c.Do(http::verb::post, "/v1/default/types/post/documents",
                  R"({"data":{"title":"b"},"slug":"same"})", Auth());
  EXPECT_EQ(dup.result_int(), 409u) << dup.body();
  EXPECT_EQ(ErrorCodeOf(dup), "conflict");
  EXPECT_NE(Body(dup)["error"]["message"].get<std::string>().find("same"), std::string::npos);
  // Another tenant may use it.
  EXPECT_EQ(c.Do(http::verb::post, "/v1/other/types/post/documents",
                 R"({"data":{"title":"b"},"slug":"same"})", Auth())
                .result_int(),
            201u);
}

TEST_F(HttpServerTest, BadBodiesAre400) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  const std::string root = CreateDoc(c, "post", {{"title", "x"}}, false);
  const std::string create = "/v1/default/types/post/documents";
  for (const char* bad :
       {"", "not json", "{\"data\":", "[]", "{}", R"({"data":[1]})", R"({"data":"text"})",
        R"({"data":{},"slug":5})", R"({"data":{},"scheduled_at":"tomorrow"})",
        R"({"data":{},"scheduled_at":20,"expires_at":10})"}) {
    auto res = c.Do(http::verb::post, create, bad, Auth());
    EXPECT_EQ(res.result_int(), 400u) << bad << " -> " << res.body();
    EXPECT_EQ(ErrorCodeOf(res), "bad_request") << bad;
    auto put = c.Do(http::verb::put, "/v1/default/documents/" + root, bad, Auth());
    EXPECT_EQ(put.result_int(), 400u) << bad << " -> " << put.body();
  }
  // Creating a document of a type nobody registered.
  auto unknown_type =
      c.Do(http::verb::post, "/v1/default/types/nosuch/documents", R"({"data":{}})", Auth());
  EXPECT_GE(unknown_type.result_int(), 400u);
  EXPECT_LT(unknown_type.result_int(), 500u) << unknown_type.body();

  auto perms = c.Do(http::verb::put, "/v1/default/documents/" + root + "/permissions",
                    R"({"rules":"all"})", Auth());
  EXPECT_EQ(perms.result_int(), 400u) << perms.body();
  EXPECT_EQ(c.Do(http::verb::put, "/v1/default/documents/" + root + "/permissions", "{", Auth())
                .result_int(),
            400u);
}

// ---- Listings ------------------------------------------------------------------------------

TEST_F(HttpServerTest, WalkingNextCursorVisitsEveryDocumentOnce) {
  SeedOptions seed;
  seed.count = 137;
  seed.types = 2;  // "blog-post" gets 69, "product" 68
  seed.body_bytes = 100;
  auto written = SeedDocuments(*engine_, seed);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  StartServer();
  Client c = Connect();

  for (const char* order : {"desc", "asc"}) {
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    for (;;) {
      std::string target =
          std::string("/v1/default/types/blog-post/documents?limit=10&order=") + order;
      if (!cursor.empty()) target += "&cursor=" + cursor;
      auto res = c.Get(target);
      ASSERT_EQ(res.result_int(), 200u) << res.body();
      json page = Body(res);
      ++pages;
      ASSERT_LE(pages, 20) << "the walk does not end";
      auto ids = RootIds(page);
      EXPECT_EQ(page["meta"]["count"].get<size_t>(), ids.size());
      for (const auto& id : ids)
        EXPECT_TRUE(seen.insert(id).second) << "seen twice: " << id;
      for (const auto& d : page["data"])
        EXPECT_EQ(d["type"], "blog-post");
      if (page["meta"]["next_cursor"].is_null()) break;
      cursor = page["meta"]["next_cursor"].get<std::string>();
      ASSERT_FALSE(cursor.empty());
      EXPECT_EQ(ids.size(), 10u);
    }
    EXPECT_EQ(seen.size(), 69u) << order;
    EXPECT_EQ(pages, 7) << order;
  }

  // A filter and a facet narrow the listing; every page still agrees with its meta.
  auto filtered = c.Get("/v1/default/types/blog-post/documents?limit=100&where.views.gte=0");
  ASSERT_EQ(filtered.result_int(), 200u) << filtered.body();
  EXPECT_EQ(Body(filtered)["meta"]["count"], 69);
  auto none = c.Get("/v1/default/types/blog-post/documents?where.views.lt=-1");
  ASSERT_EQ(none.result_int(), 200u) << none.body();
  EXPECT_EQ(Body(none)["meta"]["count"], 0);
  EXPECT_TRUE(Body(none)["meta"]["next_cursor"].is_null());
  auto faceted = c.Get("/v1/default/types/blog-post/documents?facet.tags=no-such-tag");
  ASSERT_EQ(faceted.result_int(), 200u) << faceted.body();
  EXPECT_EQ(Body(faceted)["meta"]["count"], 0);
}

TEST_F(HttpServerTest, BadListingParametersAre400) {
  SeedOptions seed;
  seed.count = 30;
  seed.types = 1;
  seed.body_bytes = 50;
  ASSERT_TRUE(SeedDocuments(*engine_, seed).ok());
  StartServer();
  Client c = Connect();
  const std::string base = "/v1/default/types/blog-post/documents";
  auto first = c.Get(base + "?limit=5");
  ASSERT_EQ(first.result_int(), 200u);
  const std::string cursor = Body(first)["meta"]["next_cursor"].get<std::string>();

  for (const std::string& query : std::vector<std::string>{
           "cursor=not-a-cursor", "cursor=%25%25%25", "cursor=AAAA", "limit=abc", "limit=0",
           "limit=101", "limit=-3", "limit=5x", "where.nosuch=1", "where.views.between=1",
           "where.views.gt=abc", "facet.nosuch=x", "sort=nosuch", "order=sideways",
           "status=archived", "bogus=1", "where.=1",
           // A cursor from another query's sort.
           "sort=views&cursor=" + cursor}) {
    auto res = c.Get(base + "?" + query);
    EXPECT_EQ(res.result_int(), 400u) << query << " -> " << res.body();
    if (res.result_int() == 400u) {
      EXPECT_EQ(ErrorCodeOf(res), "bad_request") << query;
      EXPECT_FALSE(Body(res)["error"]["message"].get<std::string>().empty());
    }
  }
  EXPECT_EQ(c.Get("/v1/default/documents/x?status=archived").result_int(), 400u);
  EXPECT_EQ(c.Get("/v1/default/documents/%zz").result_int(), 400u);
  // The connection survived every 400.
  EXPECT_EQ(c.Get(base + "?limit=5&cursor=" + cursor).result_int(), 200u);
}

// ---- Cache headers across a write ----------------------------------------------------------

TEST_F(HttpServerTest, PublishIsVisibleOnTheNextGetWithCorrectCacheHeaders) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  ASSERT_EQ(
      c.Do(http::verb::post, "/v1/types", R"({"id":"page","fields":{"title":"text"}})", Auth())
          .result_int(),
      200u);
  CreateDoc(c, "post", {{"title", "one"}}, true);
  const std::string listing = "/v1/default/types/post/documents?limit=50";

  auto miss = c.Get(listing);
  ASSERT_EQ(miss.result_int(), 200u) << miss.body();
  EXPECT_EQ(Header(miss, "X-Cache-Status"), "MISS");
  EXPECT_EQ(Header(miss, "X-Cache-Source"), "database");
  // The tier is in the headers only: the body is the same from every tier.
  EXPECT_FALSE(Body(miss)["meta"].contains("cache")) << miss.body();
  EXPECT_EQ(Body(miss)["meta"]["count"], 1);
  EXPECT_EQ(Header(miss, "Cache-Control"), "public, max-age=0, must-revalidate");

  auto hit = c.Get(listing);
  ASSERT_EQ(hit.result_int(), 200u);
  EXPECT_EQ(Header(hit, "X-Cache-Status"), "HIT");
  EXPECT_EQ(Header(hit, "X-Cache-Source"), "memory");
  EXPECT_EQ(hit.body(), miss.body());

  // A write to another type leaves this page cached.
  CreateDoc(c, "page", {{"title", "elsewhere"}}, true);
  auto still = c.Get(listing);
  EXPECT_EQ(Header(still, "X-Cache-Status"), "HIT");

  // A publish of this type through the API (on a new connection) shows on the very next GET.
  {
    Client writer = Connect();
    CreateDoc(writer, "post", {{"title", "two"}}, true);
  }
  auto after = c.Get(listing);
  ASSERT_EQ(after.result_int(), 200u);
  EXPECT_EQ(Header(after, "X-Cache-Status"), "MISS");
  EXPECT_EQ(Header(after, "X-Cache-Source"), "database");
  EXPECT_EQ(Body(after)["meta"]["count"], 2);
  EXPECT_EQ(Body(after)["data"][0]["data"]["title"], "two");  // newest first

  auto again = c.Get(listing);
  EXPECT_EQ(Header(again, "X-Cache-Status"), "HIT");
  EXPECT_EQ(Header(again, "X-Cache-Source"), "memory");
  EXPECT_EQ(Body(again)["meta"]["count"], 2);

  // A PATCH+publish changes the data the next GET shows; an unpublish removes it.
  const std::string root = Body(again)["data"][1]["root_id"];
  ASSERT_EQ(
      c.Do(http::verb::patch, "/v1/default/documents/" + root, R"({"data":{"title":"1b"}})", Auth())
          .result_int(),
      200u);
  auto unchanged = c.Get(listing);  // a draft change does not touch the published page
  EXPECT_EQ(Body(unchanged)["data"][1]["data"]["title"], "one");
  ASSERT_EQ(
      c.Do(http::verb::post, "/v1/default/documents/" + root + "/publish", "", Auth()).result_int(),
      200u);
  auto republished = c.Get(listing);
  EXPECT_EQ(Header(republished, "X-Cache-Status"), "MISS");
  bool found = false;
  const json republished_page = Body(republished);
  for (const auto& d : republished_page["data"]) {
    if (d["root_id"] == root) {
      found = true;
      EXPECT_EQ(d["data"]["title"], "1b");
    }
  }
  EXPECT_TRUE(found) << republished.body();
  ASSERT_EQ(c.Do(http::verb::post, "/v1/default/documents/" + root + "/unpublish", "", Auth())
                .result_int(),
            200u);
  EXPECT_EQ(Body(c.Get(listing))["meta"]["count"], 1);

  // The single-document GET has the same headers: MISS, then HIT from memory.
  const std::string doc =
      "/v1/default/documents/" + Body(again)["data"][0]["root_id"].get<std::string>();
  auto d1 = c.Get(doc);
  auto d2 = c.Get(doc);
  EXPECT_EQ(Header(d1, "X-Cache-Status"), "MISS");
  EXPECT_EQ(Header(d1, "X-Cache-Source"), "database");
  EXPECT_EQ(Header(d2, "X-Cache-Status"), "HIT");
  EXPECT_EQ(Header(d2, "X-Cache-Source"), "memory");
  EXPECT_EQ(d1.body(), d2.body());
}

// ---- Tokens and principals -----------------------------------------------------------------

TEST_F(HttpServerTest, TokenGuardsWritesDraftsTypesAndPermissions) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  const std::string root = CreateDoc(c, "post", {{"title", "t"}}, true);
  const std::string doc = "/v1/default/documents/" + root;

  struct Case {
    http::verb verb;
    std::string target;
    std::string body;
  };
  const std::vector<Case> guarded = {
      {http::verb::post, "/v1/types", R"({"id":"other"})"},
      {http::verb::post, "/v1/default/types/post/documents", R"({"data":{}})"},
      {http::verb::put, doc, R"({"data":{}})"},
      {http::verb::patch, doc, R"({"data":{}})"},
      {http::verb::post, doc + "/publish", ""},
      {http::verb::post, doc + "/unpublish", ""},
      {http::verb::post, doc + "/restore", ""},
      {http::verb::delete_, doc, ""},
      {http::verb::get, doc + "/permissions", ""},
      {http::verb::put, doc + "/permissions", R"({"rules":[]})"},
      {http::verb::get, doc + "?status=draft", ""},
      {http::verb::get, "/v1/default/types/post/documents?status=draft", ""},
  };
  const std::vector<std::map<std::string, std::string>> bad_auth = {
      {},
      {{"Authorization", "Bearer wrong"}},
      {{"Authorization", std::string("Bearer ") + kToken + "x"}},
      {{"Authorization", std::string("Basic ") + kToken}},
      {{"Authorization", std::string("bearer") + kToken}},
      {{"Authorization", "Bearer "}},
  };
  for (const auto& g : guarded) {
    for (const auto& h : bad_auth) {
      auto res = c.Do(g.verb, g.target, g.body, h);
      EXPECT_EQ(res.result_int(), 401u)
          << g.target << " with '" << (h.empty() ? "" : h.begin()->second) << "'";
      EXPECT_EQ(ErrorCodeOf(res), "unauthorized");
    }
  }
  // Nothing changed: still published, version 1.
  auto pub = c.Get(doc);
  ASSERT_EQ(pub.result_int(), 200u);
  EXPECT_EQ(Body(pub)["data"]["version"], 1);
  // Public published reads stay open.
  EXPECT_EQ(c.Get("/v1/default/types/post/documents").result_int(), 200u);
  EXPECT_EQ(c.Get("/healthz").result_int(), 200u);
  EXPECT_EQ(c.Get("/v1/stats").result_int(), 200u);
  EXPECT_EQ(c.Get("/metrics").result_int(), 200u);
  // And with the token each guarded read works.
  EXPECT_EQ(c.Get(doc + "?status=draft", Auth()).result_int(), 200u);
  EXPECT_EQ(c.Get(doc + "/permissions", Auth()).result_int(), 200u);
  EXPECT_EQ(c.Get("/v1/default/types/post/documents?status=draft", Auth()).result_int(), 200u);
}

TEST_F(HttpServerTest, WithoutATokenWritesAreOpenAndPrincipalIsIgnored) {
  config_.token.clear();
  StartServer();
  Client c = Connect();
  auto type = c.Do(http::verb::post, "/v1/types", R"({"id":"post","fields":{"title":"text"}})");
  ASSERT_EQ(type.result_int(), 200u) << type.body();
  auto created =
      c.Do(http::verb::post, "/v1/default/types/post/documents", R"({"data":{"title":"open"}})");
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  const std::string root = Body(created)["data"]["root_id"];
  ASSERT_EQ(c.Do(http::verb::post, "/v1/default/documents/" + root + "/publish").result_int(),
            200u);
  // Drafts are open too.
  EXPECT_EQ(c.Get("/v1/default/documents/" + root + "?status=draft").result_int(), 200u);
  ASSERT_EQ(c.Do(http::verb::put, "/v1/default/documents/" + root + "/permissions",
                 R"({"rules":[{"principal_type":"role","principal_id":"editor",)"
                 R"("permission":"read","effect":"allow"}]})")
                .result_int(),
            200u);
  // With no token configured nobody can vouch for a principal: everyone reads as public.
  auto as_editor =
      c.Get("/v1/default/types/post/documents", {{"X-Folio-Principal", "role:editor"}});
  ASSERT_EQ(as_editor.result_int(), 200u);
  EXPECT_EQ(Body(as_editor)["meta"]["count"], 0);
  EXPECT_EQ(c.Get("/v1/default/documents/" + root,
                  {{"X-Folio-Principal", "role:editor"}, {"Authorization", "Bearer x"}})
                .result_int(),
            404u);
}

TEST_F(HttpServerTest, PermissionsAndPrincipalHonouredOnlyWithTheToken) {
  StartServer();
  Client c = Connect();
  RegisterPostType(c);
  const std::string open_root = CreateDoc(c, "post", {{"title", "open"}}, true);
  const std::string secret_root = CreateDoc(c, "post", {{"title", "editors"}}, true);
  const std::string perms = "/v1/default/documents/" + secret_root + "/permissions";

  auto empty = c.Get(perms, Auth());
  ASSERT_EQ(empty.result_int(), 200u) << empty.body();
  EXPECT_EQ(Body(empty)["data"]["rules"], json::array());

  const json rules = {{"rules",
                       {{{"principal_type", "role"},
                         {"principal_id", "editor"},
                         {"permission", "read"},
                         {"effect", "allow"}}}}};
  auto set = c.Do(http::verb::put, perms, rules.dump(), Auth());
  ASSERT_EQ(set.result_int(), 200u) << set.body();
  EXPECT_EQ(Body(set)["data"]["rules"], rules["rules"]);
  auto listed = c.Get(perms, Auth());
  ASSERT_EQ(listed.result_int(), 200u);
  EXPECT_EQ(Body(listed)["data"]["rules"], rules["rules"]);

  const std::string listing = "/v1/default/types/post/documents";
  const std::string doc = "/v1/default/documents/" + secret_root;
  auto ids = [&](const Response& r) {
    EXPECT_EQ(r.result_int(), 200u) << r.body();
    return RootIds(Body(r));
  };
  using ::testing::Contains;
  using ::testing::Not;

  // Public: only the open document.
  EXPECT_THAT(ids(c.Get(listing)), Not(Contains(secret_root)));
  EXPECT_THAT(ids(c.Get(listing)), Contains(open_root));
  EXPECT_EQ(c.Get(doc).result_int(), 404u);

  // The editor, vouched for by the token: both; and a private Cache-Control.
  auto editor = c.Get(listing, Auth({{"X-Folio-Principal", "role:editor"}}));
  EXPECT_THAT(ids(editor), Contains(secret_root));
  EXPECT_THAT(ids(editor), Contains(open_root));
  EXPECT_EQ(Header(editor, "Cache-Control"), "private, no-store");
  auto editor_doc = c.Get(doc, Auth({{"X-Folio-Principal", "user:u1, role:editor,group:g1"}}));
  EXPECT_EQ(editor_doc.result_int(), 200u) << editor_doc.body();

  // The same header without the token is ignored: the reader is public.
  EXPECT_THAT(ids(c.Get(listing, {{"X-Folio-Principal", "role:editor"}})),
              Not(Contains(secret_root)));
  EXPECT_EQ(c.Get(doc, {{"X-Folio-Principal", "role:editor"}}).result_int(), 404u);
  // With the token but another role: not readable.
  EXPECT_THAT(ids(c.Get(listing, Auth({{"X-Folio-Principal", "role:viewer"}}))),
              Not(Contains(secret_root)));
  // The token alone (no principal) reads as public too.
  EXPECT_THAT(ids(c.Get(listing, Auth())), Not(Contains(secret_root)));

  // A malformed principal (with the token) is a 400.
  for (const char* bad : {"editor", "role:", "team:x", "role:editor,bogus"}) {
    auto res = c.Get(listing, Auth({{"X-Folio-Principal", bad}}));
    EXPECT_EQ(res.result_int(), 400u) << bad << " -> " << res.body();
  }

  // Clearing the rules makes it public again, on the very next read.
  ASSERT_EQ(c.Do(http::verb::put, perms, R"({"rules":[]})", Auth()).result_int(), 200u);
  EXPECT_THAT(ids(c.Get(listing)), Contains(secret_root));
  EXPECT_EQ(c.Get(doc).result_int(), 200u);
}

// ---- Connections ---------------------------------------------------------------------------

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  Client c = Connect();
  for (int i = 0; i < 20; ++i) {
    auto res = c.Get(i % 2 ? "/healthz" : "/v1/stats");
    ASSERT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.keep_alive());
  }
  // Connection: close is honoured: the response says so and the server closes.
  auto req = Client::Make(http::verb::get, "/healthz");
  req.keep_alive(false);
  c.Send(req);
  auto last = c.Read();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->result_int(), 200u);
  EXPECT_FALSE(last->keep_alive());
  EXPECT_TRUE(c.WaitClosed(std::chrono::seconds(5))) << c.last_error().message();
}

TEST_F(HttpServerTest, Http10WithoutKeepAliveIsAnsweredAndClosed) {
  StartServer();
  Client c = Connect();
  c.WriteRaw("GET /healthz HTTP/1.0\r\n\r\n");
  auto res = c.Read();
  ASSERT_TRUE(res.has_value()) << c.last_error().message();
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->version(), 10u);
  EXPECT_TRUE(c.WaitClosed(std::chrono::seconds(5)));
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client setup = Connect();
  RegisterPostType(setup);
  const std::string a = CreateDoc(setup, "post", {{"title", "a"}}, true);
  const std::string b = CreateDoc(setup, "post", {{"title", "b"}}, true);

  Client c = Connect();
  // Six requests in one write: documents a and b, a 404, a 401, a stats, a listing.
  std::string wire;
  wire += Client::Serialize(Client::Make(http::verb::get, "/v1/default/documents/" + a));
  wire += Client::Serialize(Client::Make(http::verb::get, "/v1/default/documents/" + b));
  wire += Client::Serialize(Client::Make(http::verb::get, "/v1/default/documents/missing"));
  wire += Client::Serialize(
      Client::Make(http::verb::post, "/v1/default/types/post/documents", R"({"data":{}})"));
  wire += Client::Serialize(Client::Make(http::verb::get, "/healthz"));
  wire += Client::Serialize(Client::Make(http::verb::get, "/v1/default/types/post/documents"));
  c.WriteRaw(wire);

  auto r1 = c.Read();
  auto r2 = c.Read();
  auto r3 = c.Read();
  auto r4 = c.Read();
  auto r5 = c.Read();
  auto r6 = c.Read();
  ASSERT_TRUE(r1 && r2 && r3 && r4 && r5 && r6) << c.last_error().message();
  EXPECT_EQ(Body(*r1)["data"]["root_id"], a);
  EXPECT_EQ(Body(*r2)["data"]["root_id"], b);
  EXPECT_EQ(r3->result_int(), 404u);
  EXPECT_EQ(r4->result_int(), 401u);
  EXPECT_EQ(Body(*r5)["status"], "ok");
  EXPECT_EQ(Body(*r6)["meta"]["count"], 2);
  // And the connection is still good.
  EXPECT_EQ(c.Get("/healthz").result_int(), 200u);
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndTheServerKeepsAnswering) {
  StartServer();
  const std::vector<std::string> garbage = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nBad Header Without Colon\r\n\r\n",
      "POST /v1/types HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(64, '\0') +
          "\r\n\r\n",  // a TLS ClientHello's first bytes
  };
  for (const auto& bytes : garbage) {
    Client c = Connect();
    c.WriteRaw(bytes);
    auto res = c.Read();
    if (res) {
      EXPECT_EQ(res->result_int(), 400u) << bytes;
      EXPECT_EQ(ErrorCodeOf(*res), "bad_request");
      EXPECT_FALSE(res->keep_alive());
      EXPECT_TRUE(c.WaitClosed(std::chrono::seconds(5)));
    }  // else the server closed without a response, which is also acceptable for binary junk
    Client next = Connect();
    EXPECT_EQ(next.Get("/healthz").result_int(), 200u) << "after " << bytes;
  }
  // A client that sends half a request and disconnects.
  {
    Client c = Connect();
    c.WriteRaw("GET /v1/stats HTTP/1.1\r\nHo");
  }
  // Random bytes in volume.
  {
    Client c = Connect();
    std::string junk(8192, '\0');
    uint32_t x = 12345;
    for (auto& ch : junk) {
      x = x * 1103515245u + 12345u;
      ch = static_cast<char>(x >> 24);
    }
    c.WriteRaw(junk);
    (void)c.Read();
  }
  Client after = Connect();
  EXPECT_EQ(after.Get("/healthz").result_int(), 200u);
  EXPECT_EQ(after.Get("/v1/stats").result_int(), 200u);
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413) {
  StartServer();
  Client setup = Connect();
  RegisterPostType(setup);
  {
    // Content-Length over the limit: refused on the header, before any body is sent.
    Client c = Connect();
    c.WriteRaw(
        "POST /v1/default/types/post/documents HTTP/1.1\r\nHost: x\r\nAuthorization: "
        "Bearer " +
        std::string(kToken) +
        "\r\nContent-Length: " + std::to_string(config_.body_limit_bytes + 1) + "\r\n\r\n");
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << c.last_error().message();
    EXPECT_EQ(res->result_int(), 413u);
    EXPECT_EQ(ErrorCodeOf(*res), "payload_too_large");
    EXPECT_TRUE(c.WaitClosed(std::chrono::seconds(5)));
  }
  {
    // A whole request whose body is over the limit.
    Client c = Connect();
    json body = {{"data", {{"title", std::string(config_.body_limit_bytes + 100, 'x')}}}};
    c.Send(Client::Make(http::verb::post, "/v1/default/types/post/documents", body.dump(), Auth()));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << c.last_error().message();
    EXPECT_EQ(res->result_int(), 413u);
  }
  {
    // A chunked body that grows over the limit.
    Client c = Connect();
    std::string chunk(16 << 10, 'a');
    std::string wire =
        "POST /v1/default/types/post/documents HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
        "chunked\r\n\r\n";
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    for (size_t sent = 0; sent <= config_.body_limit_bytes; sent += chunk.size())
      wire += size + chunk + "\r\n";
    wire += "0\r\n\r\n";
    c.WriteRaw(wire);
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << c.last_error().message();
    EXPECT_EQ(res->result_int(), 413u);
  }
  // Just under the limit is fine.
  Client c = Connect();
  json ok = {{"data", {{"title", std::string(config_.body_limit_bytes - 200, 'y')}}}};
  auto res = c.Do(http::verb::post, "/v1/default/types/post/documents", ok.dump(), Auth());
  EXPECT_EQ(res.result_int(), 201u) << res.body().substr(0, 200);
}

TEST_F(HttpServerTest, LongUrlIs414AndHugeHeaderIs431) {
  StartServer();
  {
    Client c = Connect();
    std::string target = "/v1/default/types/post/documents?where.title=" +
                         std::string(config_.url_limit_bytes + 10, 'a');
    c.Send(Client::Make(http::verb::get, target));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << c.last_error().message();
    EXPECT_EQ(res->result_int(), 414u);
    EXPECT_EQ(ErrorCodeOf(*res), "uri_too_long");
  }
  {
    Client c = Connect();
    c.Send(Client::Make(http::verb::get, "/healthz", "",
                        {{"X-Big", std::string(config_.header_limit_bytes + 10, 'b')}}));
    auto res = c.Read();
    ASSERT_TRUE(res.has_value()) << c.last_error().message();
    EXPECT_EQ(res->result_int(), 431u);
    EXPECT_EQ(ErrorCodeOf(*res), "header_too_large");
  }
  Client c = Connect();
  EXPECT_EQ(c.Get("/healthz").result_int(), 200u);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  config_.idle_timeout_ms = 200;
  StartServer();
  Client c = Connect();
  ASSERT_EQ(c.Get("/healthz").result_int(), 200u);
  const auto start = Clock::now();
  EXPECT_TRUE(c.WaitClosed(std::chrono::seconds(5))) << c.last_error().message();
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(100));
  EXPECT_LT(waited, std::chrono::seconds(3));
  // A connection that never sends anything is closed too.
  Client silent = Connect();
  EXPECT_TRUE(silent.WaitClosed(std::chrono::seconds(5)));
  Client fresh = Connect();
  EXPECT_EQ(fresh.Get("/healthz").result_int(), 200u);
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitAre503AndClosed) {
  config_.max_connections = 2;
  StartServer();
  Client a = Connect();
  Client b = Connect();
  ASSERT_EQ(a.Get("/healthz").result_int(), 200u);  // both accepted and counted
  ASSERT_EQ(b.Get("/healthz").result_int(), 200u);

  Client over = Connect();
  auto res = over.Read();  // refused without sending anything
  ASSERT_TRUE(res.has_value()) << over.last_error().message();
  EXPECT_EQ(res->result_int(), 503u);
  EXPECT_FALSE(res->keep_alive());
  // The refused connection is closed, not served.
  EXPECT_TRUE(over.WaitClosed(std::chrono::seconds(5))) << over.last_error().message();

  // Once one closes, a new connection is served again.
  a.Send([] {
    auto r = Client::Make(http::verb::get, "/healthz");
    r.keep_alive(false);
    return r;
  }());
  ASSERT_TRUE(a.Read().has_value());
  ASSERT_TRUE(a.WaitClosed(std::chrono::seconds(5)));
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    Client again = Connect();  // the close may take a moment to be counted
    again.Send(Client::Make(http::verb::get, "/healthz"));
    auto r = again.Read();
    served = r && r->result_int() == 200u;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served);

  auto metrics = b.Get("/metrics");
  EXPECT_NE(metrics.body().find("folio_http_rejected_connections_total "), std::string::npos);
  EXPECT_EQ(metrics.body().find("folio_http_rejected_connections_total 0"), std::string::npos);
  EXPECT_NE(metrics.body().find("folio_http_requests_total{route=\"unmatched\",status=\"503\"}"),
            std::string::npos);
  // The refusal took microseconds, not the age of the steady clock: the summed request time
  // of this whole test is well under a minute.
  const std::string sum_key = "folio_http_request_duration_seconds_sum{} ";
  size_t at = metrics.body().find(sum_key);
  ASSERT_NE(at, std::string::npos);
  EXPECT_LT(std::stod(metrics.body().substr(at + sum_key.size())), 60.0) << metrics.body();
}

// ---- Shutdown ------------------------------------------------------------------------------

TEST_F(HttpServerTest, StopWithAnIdleKeepAliveConnectionReturnsPromptly) {
  config_.shutdown_grace_ms = 10'000;  // Run() must not wait for it: the connection is idle
  StartServer();
  Client c = Connect();
  ASSERT_EQ(c.Get("/healthz").result_int(), 200u);
  Client silent = Connect();  // connected, never sent a byte

  const auto start = Clock::now();
  server_->Stop();
  ASSERT_EQ(run_done_.wait_for(std::chrono::seconds(3)), std::future_status::ready)
      << "Run() did not return after Stop() with idle connections";
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(c.WaitClosed(std::chrono::seconds(2)));
  EXPECT_TRUE(silent.WaitClosed(std::chrono::seconds(2)));
  server_->Stop();  // idempotent
  runner_.join();
  server_.reset();
  // Nothing listens any more.
  EXPECT_THROW({ Client probe(port_); }, std::runtime_error);
}

TEST_F(HttpServerTest, StopRepeatedlyWithManyIdleConnectionsIsAlwaysPrompt) {
  // Several rounds with several connections on two io threads: the last session may end on
  // one thread while the shutdown is still arming its grace timer on another.
  config_.shutdown_grace_ms = 10'000;
  for (int round = 0; round < 10; ++round) {
    StartServer();
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 8; ++i) {
      clients.push_back(std::make_unique<Client>(port_));
      ASSERT_EQ(clients.back()->Get("/healthz").result_int(), 200u);
    }
    const auto start = Clock::now();
    server_->Stop();
    ASSERT_EQ(run_done_.wait_for(std::chrono::seconds(5)), std::future_status::ready)
        << "round " << round;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2)) << "round " << round;
    runner_.join();
    server_.reset();
  }
}

// A connection the kernel completes while the shutdown is under way can be accepted after the
// shutdown took its list of sessions to drain. It must close at once, not hold Run() for the
// grace period (seen on CI under TSan: Run() took the whole 10 s grace). The window is narrow:
// this stress test hits it only sometimes, so it runs several rounds.
TEST_F(HttpServerTest, ConnectionsArrivingDuringStopDoNotHoldRunForTheGrace) {
  config_.shutdown_grace_ms = 60'000;
  for (int round = 0; round < 10; ++round) {
    StartServer();
    Client keep = Connect();  // one session for the shutdown to drain
    ASSERT_EQ(keep.Get("/healthz").result_int(), 200u);
    std::atomic<bool> done{false};
    std::thread connector([this, &done] {
      net::io_context ioc;
      std::vector<tcp::socket> sockets;
      while (!done.load()) {
        tcp::socket s(ioc);
        beast::error_code ec;
        s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
        if (ec) break;                    // the listener is gone
        sockets.push_back(std::move(s));  // held open and silent
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server_->Stop();
    const auto status = run_done_.wait_for(std::chrono::seconds(30));
    done = true;
    connector.join();
    ASSERT_EQ(status, std::future_status::ready) << "round " << round;
    runner_.join();
    server_.reset();
  }
}

TEST_F(HttpServerTest, StopBeforeAnyConnectionAndStopTwice) {
  StartServer();
  server_->Stop();
  server_->Stop();
  ASSERT_EQ(run_done_.wait_for(std::chrono::seconds(3)), std::future_status::ready);
}

TEST_F(HttpServerTest, BindFailsClearlyOnABusyPortAndABadListen) {
  StartServer();
  HttpConfig busy = config_;
  busy.listen = "127.0.0.1:" + std::to_string(port_);
  auto second = HttpServer::Bind(*engine_, busy, false);
  EXPECT_FALSE(second.ok());
  for (const char* bad : {"nohost:0", "127.0.0.1", "127.0.0.1:70000"}) {
    HttpConfig c = config_;
    c.listen = bad;
    auto r = HttpServer::Bind(*engine_, c, false);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_TRUE(r.status().IsInvalidArgument()) << bad;
    }
  }
}

}  // namespace
}  // namespace folio::app
