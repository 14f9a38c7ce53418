// How the CLI prints (app/cli_output.h): JSON unless a person is reading, and what a person
// sees — a page as a table with its count, tier and next cursor; anything else indented.
#include "cli_output.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace folio::app {
namespace {

class CliOutputTest : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv("FOLIO_OUTPUT"); }
  void TearDown() override { unsetenv("FOLIO_OUTPUT"); }
};

TEST_F(CliOutputTest, JsonForScriptsReadableOnATerminal) {
  EXPECT_EQ(ChooseOutputMode(/*json_flag=*/false, /*stdout_is_terminal=*/true), OutputMode::kHuman);
  EXPECT_EQ(ChooseOutputMode(false, false), OutputMode::kJson);
  EXPECT_EQ(ChooseOutputMode(true, true), OutputMode::kJson);
  setenv("FOLIO_OUTPUT", "human", 1);
  EXPECT_EQ(ChooseOutputMode(false, false), OutputMode::kHuman);
  EXPECT_EQ(ChooseOutputMode(true, false), OutputMode::kJson) << "--json wins";
  setenv("FOLIO_OUTPUT", "json", 1);
  EXPECT_EQ(ChooseOutputMode(false, true), OutputMode::kJson);
  setenv("FOLIO_OUTPUT", "other", 1);
  EXPECT_EQ(ChooseOutputMode(false, true), OutputMode::kHuman) << "an unknown value is ignored";
}

TEST_F(CliOutputTest, APageIsATableWithItsCountTierAndCursor) {
  const std::string page =
      R"({"data":[{"root_id":"r-1","version":3,"status":"published","slug":"hello-world",)"
      R"("title":"Hello","updated_at":1764684185,"data":{"x":1}},)"
      R"({"root_id":"r-2","version":1,"status":"draft","slug":null,"title":"A title that is )"
      R"(far too long to fit in its column","updated_at":0}],)"
      R"("meta":{"count":2,"next_cursor":"abc","cache":{"hit":true,"source":"memory"}}})";
  const std::string table = HumanReadable(page);
  EXPECT_NE(table.find("ROOT"), std::string::npos) << table;
  EXPECT_NE(table.find("r-1"), std::string::npos) << table;
  EXPECT_NE(table.find("hello-world"), std::string::npos) << "the slug before the title";
  EXPECT_NE(table.find("2025-12-02 14:03:05"), std::string::npos) << table;
  EXPECT_NE(table.find("A title that is far too long ..."), std::string::npos) << table;
  EXPECT_NE(table.find("2 documents, answered from memory; next page: --cursor abc"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("\"x\""), std::string::npos) << "document data stays out of the table";
}

// A page whose one document has `title` (JSON string contents) and no slug.
std::string PageTitled(const std::string& title) {
  return R"({"data":[{"root_id":"r-1","version":1,"status":"draft","slug":null,"title":")" + title +
         R"(","updated_at":0}],"meta":{"count":1}})";
}

TEST_F(CliOutputTest, ACellIsCutBetweenCharactersNotInsideOne) {
  // 40 two-byte characters: a byte cut at 29 would split the 15th.
  std::string title;
  for (int i = 0; i < 40; ++i)
    title += R"(\u00e9)";  // é, escaped in the JSON
  const std::string table = HumanReadable(PageTitled(title));
  std::string cut;
  for (int i = 0; i < 29; ++i)
    cut += "\xc3\xa9";
  EXPECT_NE(table.find(cut + "...  "), std::string::npos) << table;
  EXPECT_NO_THROW(nlohmann::json(table).dump()) << "the table is valid UTF-8";
  // Columns line up by characters: the short title is padded to the same width.
  const std::string padded = HumanReadable(PageTitled(R"(\u00e9t\u00e9)"));
  EXPECT_NE(padded.find("\xc3\xa9t\xc3\xa9" + std::string(29 + 2, ' ') + "1970-01-01"),
            std::string::npos)
      << padded;
}

TEST_F(CliOutputTest, ControlCharactersNeverReachTheTerminal) {
  // ESC [ 2 J (clear the screen), a newline, and C1's CSI (U+009B).
  const std::string table = HumanReadable(PageTitled(R"(a\u001b[2Jb\nc\u009b31md)"));
  EXPECT_NE(table.find("a?[2Jb?c?31md"), std::string::npos) << table;
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
  EXPECT_EQ(table.find("\xc2\x9b"), std::string::npos);

  const std::string other = HumanReadable(R"({"data":{"note":"x\u001by\u009bz"}})");
  EXPECT_EQ(other.find('\x1b'), std::string::npos) << other;
  EXPECT_EQ(other.find("\xc2\x9b"), std::string::npos) << other;
  EXPECT_EQ(nlohmann::json::parse(other)["data"]["note"], "x\x1by\xc2\x9bz") << "escaped, not lost";
}

TEST_F(CliOutputTest, OtherJsonIsIndentedAndOtherTextKept) {
  const std::string indented = HumanReadable(R"({"data":{"id":"d","n":[1,2]}})");
  EXPECT_EQ(nlohmann::json::parse(indented),
            nlohmann::json::parse(R"({"data":{"id":"d","n":[1,2]}})"));
  EXPECT_NE(indented.find("\n  \"data\": {"), std::string::npos) << indented;
  EXPECT_EQ(HumanReadable("not json"), "not json");
}

}  // namespace
}  // namespace folio::app
