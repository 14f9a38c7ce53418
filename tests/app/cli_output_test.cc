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

TEST_F(CliOutputTest, OtherJsonIsIndentedAndOtherTextKept) {
  const std::string indented = HumanReadable(R"({"data":{"id":"d","n":[1,2]}})");
  EXPECT_EQ(nlohmann::json::parse(indented),
            nlohmann::json::parse(R"({"data":{"id":"d","n":[1,2]}})"));
  EXPECT_NE(indented.find("\n  \"data\": {"), std::string::npos) << indented;
  EXPECT_EQ(HumanReadable("not json"), "not json");
}

}  // namespace
}  // namespace folio::app
