// `folio bench` (app/bench_replay.h): which lines of a log become reads, and a replay's
// counts — tiers, errors, differing answers — on a real data dir.
#include "bench_replay.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "engine/engine_test_util.h"

namespace folio::app {
namespace {

using engine_testing::CreatePublished;
using engine_testing::Must;

TEST(BenchReplayTest, ReadsEveryLineFormAndSkipsWhatItDoesNotReplay) {
  std::istringstream in(
      "# a comment, then an empty line\n"
      "\n"
      "/v1/acme/types/post/documents?limit=5&where.views.gte=3\n"
      "http://127.0.0.1:8080/v1/acme/documents/r1?status=draft\n"
      "[2026-12-02 10:00:00.000] [info] GET \"/v1/acme/types/post/documents?sort=views\" 200 "
      "512B 0.120ms memory 5f3a-1\n"
      "{\"ts\":\"x\",\"method\":\"GET\",\"target\":\"/v1/acme/types/post/documents?"
      "facet.tags=news\",\"status\":200}\n"
      "ts=x level=info method=GET target=\"/v1/acme/documents/r2?include=author\" status=200\n"
      "ts=x level=info method=GET target=/v1/acme/types/page/documents status=200\n"
      "{\"method\":\"POST\",\"target\":\"/v1/acme/types/post/documents\"}\n"
      "[2026-12-02 10:00:00.000] [info] PATCH \"/v1/acme/documents/r1\" 200 10B 1ms - id\n"
      "DELETE /v1/acme/documents/r1\n"
      "/healthz\n"
      "/v1/types\n"
      "/v1/acme/documents/r1/versions\n"
      "/v1/acme/types/post/documents?limit=abc\n"
      "/v1/acme/types/post/documents?nonsense=1\n"
      "/v1/acme/documents/r1?status=archived\n");
  const ReplayLog log = ReadReplayLog(in);
  EXPECT_EQ(log.lines, 15u);
  ASSERT_EQ(log.reads.size(), 6u);
  EXPECT_EQ(log.skipped_writes, 3u);
  EXPECT_EQ(log.skipped_other, 3u);
  EXPECT_EQ(log.unparsable, 3u);

  const ReplayRead& first = log.reads[0];
  EXPECT_TRUE(first.listing);
  EXPECT_EQ(first.query.tenant, "acme");
  EXPECT_EQ(first.query.type, "post");
  EXPECT_EQ(first.query.limit, 5);
  ASSERT_EQ(first.query.filters.size(), 1u);
  EXPECT_EQ(first.query.filters[0].field, "views");
  const ReplayRead& url = log.reads[1];
  EXPECT_FALSE(url.listing);
  EXPECT_EQ(url.root, "r1");
  EXPECT_EQ(url.axis, storage::Axis::kDraft);
  EXPECT_EQ(log.reads[2].query.sort, "views");
  ASSERT_EQ(log.reads[3].query.facets.size(), 1u);
  EXPECT_EQ(log.reads[3].query.facets[0].value, "news");
  EXPECT_EQ(log.reads[4].root, "r2");
  EXPECT_EQ(log.reads[4].include, std::vector<std::string>{"author"});
  EXPECT_EQ(log.reads[5].query.type, "page");
}

TEST(BenchReplayTest, AReplayCountsTiersErrorsAndAgreement) {
  test::TempDir dir("bench_replay");
  Options options;
  options.data_dir = dir.str();
  options.l2_enabled = false;
  auto cached = Must(Engine::Open(options), "open cached");
  storage::TypeDefinition post{"post", "", {{"views", storage::FieldKind::kInteger}}, {"tags"}};
  Must(cached->RegisterType(post).status(), "register");
  std::string root;
  for (int i = 0; i < 5; ++i)
    root = CreatePublished(*cached, R"({"views":)" + std::to_string(i) + "}");
  Options bare = options;
  bare.l1_capacity_bytes = 0;
  auto direct = Must(Engine::Open(bare), "open direct");

  std::istringstream in(
      "/v1/default/types/post/documents?limit=2\n"
      "/v1/default/types/post/documents?limit=2\n"
      "/v1/default/documents/" +
      root +
      "\n"
      "/v1/default/types/post/documents?limit=2\n"
      "/v1/default/documents/" +
      root +
      "\n"
      "/v1/default/documents/no-such-root\n");
  const ReplayLog log = ReadReplayLog(in);
  ASSERT_EQ(log.reads.size(), 6u);
  const ReplayReport report = Replay(log, *direct, *cached, /*passes=*/2);
  EXPECT_EQ(report.reads, 6u);
  EXPECT_EQ(report.passes, 2);
  // Two distinct readable reads: each read once from SQLite, then from memory.
  EXPECT_EQ(report.database, 2u);
  EXPECT_EQ(report.memory, 2u * 5u - 2u);
  EXPECT_EQ(report.kv, 0u);
  EXPECT_EQ(report.errors, 1u) << "the missing root, counted once";
  EXPECT_EQ(report.mismatches, 0u);
  EXPECT_EQ(report.direct.count, 6u);
  EXPECT_EQ(report.engine.count, 12u);
  EXPECT_GT(report.direct.mean_us, 0);
  EXPECT_LE(report.engine.p50_us, report.engine.max_us);

  const auto json = nlohmann::json::parse(ReplayReportJson(log, report));
  EXPECT_EQ(json["tiers"]["memory"], 8);
  EXPECT_EQ(json["reads"], 6);
  EXPECT_EQ(json["errors"], 1);
  EXPECT_GT(json["speedup"].get<double>(), 0);
  const std::string text = ReplayReportText(log, report);
  EXPECT_NE(text.find("6 reads replayed"), std::string::npos) << text;
  EXPECT_NE(text.find("memory 80.0% (8)"), std::string::npos) << text;
  EXPECT_NE(text.find("speed-up:"), std::string::npos) << text;
}

}  // namespace
}  // namespace folio::app
