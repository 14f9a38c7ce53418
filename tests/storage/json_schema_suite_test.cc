// The public JSON-Schema-Test-Suite (Debian's json-schema-test-suite 2.0.0) against DataSchema,
// the validator a type's JSON Schema runs on: one test per draft DataSchema supports (3, 4, 6,
// 7), each case compiled and checked exactly as folio would (the draft told by "$schema", which
// the suite leaves to its folder names). A case outside the skip table below must pass. Skips
// are per group: a case of a listed group that fails counts as skipped, one that passes anyway
// counts as passed, so passed + skipped = total. Each entry must still be needed (one of its
// cases fails), and one skipped as a remote "$ref" must be refused for that reason.
//
// optional/ is included: it is where the suite tests "format", and a type's schema may use it;
// the table records which formats valijson leaves unchecked, and the remaining optional files
// (bignum, ECMAScript regex, zero-terminated floats, content) are run like the others.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "detail/data_schema.h"

namespace folio::storage::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

enum class Why {
  kRemoteRef,  // folio refuses a "$ref" to another document by design; Compile must say so
  kFormat,     // a "format" (or content keyword) valijson 1.0 does not check; see below
  kGap,        // a known valijson 1.0 or nlohmann::json limitation, named in the reason
};

// A group of a suite file that is not expected to pass, and why. Each entry was checked to fail
// for the reason given; the test fails if one of its drafts lacks the group or if all of its
// cases pass (the entry is then no longer needed).
struct Skip {
  const char* drafts;  // the drafts whose copy of the file has the group: "3467", "7"
  const char* file;    // relative to tests/draftN
  const char* group;   // the group's "description"
  Why why;
  const char* reason;
};

constexpr const char* kRemote =
    "remote $ref (http://localhost:1234/...): refused by folio, a type's schema must be "
    "self-contained";
constexpr const char* kMetaSchema =
    "$ref to the draft's meta-schema (http://json-schema.org/...): a remote document, refused by "
    "folio";
constexpr const char* kEmbeddedId =
    "$ref to a schema embedded under its own id/$id: valijson 1.0 ignores \"$id\" and joins a "
    "relative ref to \"id\" by string concatenation, so the ref reads as remote and is refused";
constexpr const char* kUncheckedFormat =
    "format not checked: valijson 1.0 checks only date, time and date-time";
constexpr const char* kDraft3Format =
    "format not checked in draft 3: folio drops it, as valijson's checks follow RFC 3339 (not "
    "draft 3's formats) and apply to every type";
constexpr const char* kContent =
    "contentEncoding/contentMediaType not checked by valijson 1.0 (annotations in draft 7)";
constexpr const char* kBignum =
    "an integer beyond 64 bits: nlohmann::json stores it as a double, which valijson's "
    "\"integer\" refuses";
constexpr const char* kFloatInteger =
    "1.0 is an integer from draft 6 on: nlohmann::json keeps it a double, which valijson's "
    "\"integer\" refuses";

const Skip kSkips[] = {
    // Remote references: refused by design.
    {"3467", "refRemote.json", "remote ref", Why::kRemoteRef, kRemote},
    {"3467", "refRemote.json", "fragment within remote ref", Why::kRemoteRef, kRemote},
    {"3467", "refRemote.json", "ref within remote ref", Why::kRemoteRef, kRemote},
    {"3", "refRemote.json", "change resolution scope", Why::kRemoteRef, kRemote},
    {"467", "refRemote.json", "base URI change", Why::kRemoteRef, kRemote},
    {"467", "refRemote.json", "base URI change - change folder", Why::kRemoteRef, kRemote},
    {"467", "refRemote.json", "base URI change - change folder in subschema", Why::kRemoteRef,
     kRemote},
    {"467", "refRemote.json", "root ref in remote ref", Why::kRemoteRef, kRemote},
    {"3467", "ref.json", "remote ref, containing refs itself", Why::kRemoteRef, kMetaSchema},
    {"467", "definitions.json", "valid definition", Why::kRemoteRef, kMetaSchema},
    {"467", "definitions.json", "invalid definition", Why::kRemoteRef, kMetaSchema},
    // valijson 1.0 and nlohmann::json limitations.
    {"467", "ref.json", "Recursive references between schemas", Why::kGap, kEmbeddedId},
    {"3467", "optional/bignum.json", "integer", Why::kGap, kBignum},
    {"67", "optional/zeroTerminatedFloats.json",
     "some languages do not distinguish between different types of numeric value", Why::kGap,
     kFloatInteger},
    // optional/: formats valijson does not check.
    {"3", "optional/format.json", "validation of date-time strings", Why::kFormat, kDraft3Format},
    {"3", "optional/format.json", "validation of date strings", Why::kFormat, kDraft3Format},
    {"3", "optional/format.json", "validation of time strings", Why::kFormat, kDraft3Format},
    {"3", "optional/format.json", "validation of regular expressions", Why::kFormat, kDraft3Format},
    {"3", "optional/format.json", "validation of CSS colors", Why::kFormat, kDraft3Format},
    {"3", "optional/jsregex.json", "ECMA 262 regex dialect recognition", Why::kFormat,
     kDraft3Format},
    {"3", "optional/format.json", "validation of URIs", Why::kFormat, kDraft3Format},
    {"46", "optional/format.json", "validation of URIs", Why::kFormat, kUncheckedFormat},
    {"3", "optional/format.json", "validation of e-mail addresses", Why::kFormat, kDraft3Format},
    {"46", "optional/format.json", "validation of e-mail addresses", Why::kFormat,
     kUncheckedFormat},
    {"3", "optional/format.json", "validation of IP addresses", Why::kFormat, kDraft3Format},
    {"46", "optional/format.json", "validation of IP addresses", Why::kFormat, kUncheckedFormat},
    {"3", "optional/format.json", "validation of IPv6 addresses", Why::kFormat, kDraft3Format},
    {"46", "optional/format.json", "validation of IPv6 addresses", Why::kFormat, kUncheckedFormat},
    {"3", "optional/format.json", "validation of host names", Why::kFormat, kDraft3Format},
    {"46", "optional/format.json", "validation of host names", Why::kFormat, kUncheckedFormat},
    {"6", "optional/format.json", "validation of URI References", Why::kFormat, kUncheckedFormat},
    {"6", "optional/format.json", "format: uri-template", Why::kFormat, kUncheckedFormat},
    {"6", "optional/format.json", "validation of JSON-pointers (JSON String Representation)",
     Why::kFormat, kUncheckedFormat},
    {"467", "optional/ecmascript-regex.json", "ECMA 262 regex non-compliance", Why::kFormat,
     kUncheckedFormat},
    {"7", "optional/format/uri.json", "validation of URIs", Why::kFormat, kUncheckedFormat},
    {"7", "optional/format/uri-reference.json", "validation of URI References", Why::kFormat,
     kUncheckedFormat},
    {"7", "optional/format/uri-template.json", "format: uri-template", Why::kFormat,
     kUncheckedFormat},
    {"7", "optional/format/iri.json", "validation of IRIs", Why::kFormat, kUncheckedFormat},
    {"7", "optional/format/iri-reference.json", "validation of IRI References", Why::kFormat,
     kUncheckedFormat},
    {"7", "optional/format/email.json", "validation of e-mail addresses", Why::kFormat,
     kUncheckedFormat},
    {"7", "optional/format/idn-email.json", "validation of an internationalized e-mail addresses",
     Why::kFormat, kUncheckedFormat},
    {"7", "optional/format/hostname.json", "validation of host names", Why::kFormat,
     kUncheckedFormat},
    {"7", "optional/format/idn-hostname.json", "validation of internationalized host names",
     Why::kFormat, kUncheckedFormat},
    {"7", "optional/format/ipv4.json", "validation of IP addresses", Why::kFormat,
     kUncheckedFormat},
    {"7", "optional/format/ipv6.json", "validation of IPv6 addresses", Why::kFormat,
     kUncheckedFormat},
    {"7", "optional/format/json-pointer.json",
     "validation of JSON-pointers (JSON String Representation)", Why::kFormat, kUncheckedFormat},
    {"7", "optional/format/relative-json-pointer.json",
     "validation of Relative JSON Pointers (RJP)", Why::kFormat, kUncheckedFormat},
    {"7", "optional/format/regex.json", "validation of regular expressions", Why::kFormat,
     kUncheckedFormat},
    {"7", "optional/content.json", "validation of string-encoded content based on media type",
     Why::kFormat, kContent},
    {"7", "optional/content.json", "validation of binary string-encoding", Why::kFormat, kContent},
    {"7", "optional/content.json", "validation of binary-encoded media type documents",
     Why::kFormat, kContent},
};

bool HasDraft(const Skip& s, int draft) {
  return std::string_view(s.drafts).find(static_cast<char>('0' + draft)) != std::string_view::npos;
}

struct Tally {
  int total = 0;
  int passed = 0;
  int skipped = 0;
};

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// Every *.json under `dir`, relative paths ("ref.json", "optional/format/date.json"), sorted.
std::vector<std::string> SuiteFiles(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(fs::relative(entry.path(), dir).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string DraftUri(int draft) {
  return "http://json-schema.org/draft-0" + std::to_string(draft) + "/schema#";
}

const Skip* FindSkip(int draft, const std::string& file, const std::string& group) {
  for (const Skip& s : kSkips) {
    if (HasDraft(s, draft) && file == s.file && group == s.group) return &s;
  }
  return nullptr;
}

void RunDraft(int draft) {
  const fs::path root = fs::path(FOLIO_JSON_SCHEMA_SUITE_DIR) / "tests";
  const fs::path dir = root / ("draft" + std::to_string(draft));
  ASSERT_TRUE(fs::is_directory(dir))
      << dir << " is missing: install Debian's json-schema-test-suite package "
      << "(apt-get install json-schema-test-suite)";

  Tally tally;
  // Per skip entry: its cases that failed, and whether a remote-ref skip was refused for that
  // reason.
  struct SkipUse {
    int failed = 0;
    bool refused_as_remote = true;
  };
  std::map<const Skip*, SkipUse> used;
  std::vector<std::string> skipped_lines;

  for (const std::string& file : SuiteFiles(dir)) {
    json groups;
    try {
      groups = ReadJson(dir / file);
    } catch (const std::exception& e) {
      ADD_FAILURE() << file << ": cannot read: " << e.what();
      continue;
    }
    for (const json& group : groups) {
      const std::string group_name = group.value("description", "");
      const Skip* skip = FindSkip(draft, file, group_name);
      // The suite's schemas leave the draft to the folder they are in; DataSchema reads it from
      // "$schema" (a boolean schema has none and is draft 6 or 7 either way).
      json schema = group.at("schema");
      if (schema.is_object() && !schema.contains("$schema")) schema["$schema"] = DraftUri(draft);
      const auto compiled = DataSchema::Compile(schema);
      if (skip != nullptr) used.try_emplace(skip);  // the entry matched a group
      if (skip != nullptr && skip->why == Why::kRemoteRef &&
          (compiled.ok() ||
           compiled.status().message().find("remote \"$ref\"") == std::string::npos)) {
        used[skip].refused_as_remote = false;
      }
      int group_failed = 0;
      for (const json& test : group.at("tests")) {
        ++tally.total;
        const bool expected = test.at("valid").get<bool>();
        std::string outcome;
        bool pass = false;
        if (!compiled.ok()) {
          outcome = "Compile refused the schema: " + compiled.status().message();
        } else {
          const auto failures = (*compiled)->Check(test.at("data"));
          const bool valid = failures.empty();
          EXPECT_EQ(valid, (*compiled)->Validate(test.at("data")).ok())
              << "Check and Validate disagree: " << file << " / " << group_name;
          pass = valid == expected;
          outcome = valid ? "accepted"
                          : "refused (" + DescribePointer(failures[0].pointer) + ": " +
                                failures[0].message + ")";
        }
        if (pass) {
          ++tally.passed;
        } else if (skip != nullptr) {
          ++tally.skipped;
          ++used[skip].failed;
          ++group_failed;
        } else {
          ADD_FAILURE() << "draft" << draft << " " << file << " / \"" << group_name << "\" / \""
                        << test.value("description", "") << "\": expected "
                        << (expected ? "valid" : "invalid") << ", " << outcome
                        << "\n  schema: " << schema.dump()
                        << "\n  data:   " << test.at("data").dump();
        }
      }
      if (skip != nullptr) {
        skipped_lines.push_back(
            "  " + file + " / \"" + group_name + "\": " + std::to_string(group_failed) + " of " +
            std::to_string(group.at("tests").size()) + " cases skipped - " + skip->reason);
      }
    }
  }

  for (const Skip& s : kSkips) {
    if (!HasDraft(s, draft)) continue;
    const auto it = used.find(&s);
    if (it == used.end()) {
      ADD_FAILURE() << "skip entry matches no group of draft" << draft << ": " << s.file << " / \""
                    << s.group << "\"";
      continue;
    }
    EXPECT_GT(it->second.failed, 0) << "skip entry no longer needed (all its cases pass): draft"
                                    << draft << " " << s.file << " / \"" << s.group << "\"";
    if (s.why == Why::kRemoteRef) {
      EXPECT_TRUE(it->second.refused_as_remote)
          << "skipped as a remote $ref but not refused as one: draft" << draft << " " << s.file
          << " / \"" << s.group << "\"";
    }
  }

  const std::string name = "draft" + std::to_string(draft);
  std::cout << name << ": " << tally.passed << " / " << tally.total << " passed; " << tally.skipped
            << " skipped\n";
  for (const std::string& line : skipped_lines)
    std::cout << line << "\n";
  std::cout << "JSON-Schema-Test-Suite " << name << ": passed " << tally.passed << " / total "
            << tally.total << ", skipped " << tally.skipped << ", failed "
            << tally.total - tally.passed - tally.skipped << std::endl;
  EXPECT_GT(tally.passed, 200) << "too few cases passed for " << name;
  EXPECT_EQ(tally.passed + tally.skipped, tally.total);
}

TEST(JsonSchemaSuite, Draft3) {
  RunDraft(3);
}
TEST(JsonSchemaSuite, Draft4) {
  RunDraft(4);
}
TEST(JsonSchemaSuite, Draft6) {
  RunDraft(6);
}
TEST(JsonSchemaSuite, Draft7) {
  RunDraft(7);
}

}  // namespace
}  // namespace folio::storage::detail
