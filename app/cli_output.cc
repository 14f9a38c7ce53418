#include "cli_output.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

namespace folio::app {
namespace {

using nlohmann::json;

std::string Text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "-";
  return value.dump();
}

// Unix seconds (folio's timestamps) as "2026-12-02 14:03:05" UTC.
std::string When(const json& value) {
  if (!value.is_number_integer()) return Text(value);
  const std::time_t t = static_cast<std::time_t>(value.get<int64_t>());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S", &utc);
  return out;
}

// A cell cut to `width` characters (bytes; an ellipsis marks the cut).
std::string Cell(std::string text, size_t width) {
  if (text.size() > width) {
    text.resize(width - 3);
    text.append("...");
  }
  text.append(width - text.size() + 2, ' ');
  return text;
}

bool IsPage(const json& j) {
  return j.is_object() && j.contains("data") && j["data"].is_array() && j.contains("meta") &&
         j["meta"].is_object() && j["meta"].contains("count");
}

std::string PageTable(const json& page) {
  struct Column {
    const char* name;
    size_t width;
  };
  const std::vector<Column> columns = {
      {"ROOT", 36}, {"V", 3}, {"STATUS", 9}, {"SLUG / TITLE", 32}, {"UPDATED (UTC)", 19}};
  std::string out;
  for (const Column& c : columns)
    out += Cell(c.name, c.width);
  out += "\n";
  for (const json& doc : page["data"]) {
    if (!doc.is_object()) continue;
    const json& slug = doc.value("slug", json());
    const json& name =
        slug.is_string() && !slug.get<std::string>().empty() ? slug : doc.value("title", json());
    out += Cell(Text(doc.value("root_id", json())), columns[0].width);
    out += Cell(Text(doc.value("version", json())), columns[1].width);
    out += Cell(Text(doc.value("status", json())), columns[2].width);
    out += Cell(Text(name), columns[3].width);
    out += When(doc.value("updated_at", json()));
    out += "\n";
  }
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on literal + string chains.
  const json& meta = page["meta"];
  out.append("\n")
      .append(Text(meta["count"]))
      .append(meta["count"] == 1 ? " document" : " documents");
  if (meta.contains("cache") && meta["cache"].is_object()) {
    out.append(", answered from ").append(Text(meta["cache"].value("source", json())));
  }
  if (meta.contains("next_cursor") && meta["next_cursor"].is_string()) {
    out.append("; next page: --cursor ").append(meta["next_cursor"].get<std::string>());
  }
  out.append("\n");
  return out;
}

}  // namespace

OutputMode ChooseOutputMode(bool json_flag, bool stdout_is_terminal) {
  if (json_flag) return OutputMode::kJson;
  if (const char* forced = std::getenv("FOLIO_OUTPUT")) {
    const std::string_view mode(forced);
    if (mode == "human") return OutputMode::kHuman;
    if (mode == "json") return OutputMode::kJson;
  }
  return stdout_is_terminal ? OutputMode::kHuman : OutputMode::kJson;
}

std::string HumanReadable(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::string(text);
  if (IsPage(j)) return PageTable(j);
  return j.dump(2) + "\n";
}

}  // namespace folio::app
