#include "cli_output.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string_view>
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

// The length of the UTF-8 sequence `lead` starts (the text is valid UTF-8: it came out of a
// JSON parse).
size_t SequenceLength(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// Whether the sequence at `at` is a C1 control (U+0080-U+009F): some terminals act on them.
bool IsC1(std::string_view text, size_t at) {
  return static_cast<unsigned char>(text[at]) == 0xC2 && at + 1 < text.size() &&
         static_cast<unsigned char>(text[at + 1]) < 0xA0;
}

// A cell `width` characters wide, cut with an ellipsis when longer. Characters are code points,
// so a cut never splits one (a wide character still counts one). Control characters — C0,
// DEL, C1 — print as '?': a document's title must not move a terminal's cursor or recolor it.
std::string Cell(std::string_view text, size_t width) {
  std::string out;
  size_t shown = 0;
  size_t cut_bytes = 0;  // out's length after width - 3 characters
  for (size_t at = 0; at < text.size();) {
    const auto lead = static_cast<unsigned char>(text[at]);
    const size_t length = std::min(SequenceLength(lead), text.size() - at);
    if (lead < 0x20 || lead == 0x7f || IsC1(text, at)) {
      out += '?';
    } else {
      out.append(text.substr(at, length));
    }
    at += length;
    if (++shown == width - 3) cut_bytes = out.size();
  }
  if (shown > width) {
    out.resize(cut_bytes);
    out.append("...");
    shown = width;
  }
  out.append(width - shown + 2, ' ');
  return out;
}

// `dumped` (nlohmann's output: it escapes C0 controls and DEL) with C1 controls escaped too.
std::string EscapeC1(std::string dumped) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(dumped.size());
  for (size_t at = 0; at < dumped.size(); ++at) {
    if (IsC1(dumped, at)) {
      const auto code = static_cast<unsigned char>(dumped[at + 1]);
      out.append("\\u00").append(1, kHex[code >> 4]).append(1, kHex[code & 15]);
      ++at;
    } else {
      out += dumped[at];
    }
  }
  return out;
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
  return EscapeC1(j.dump(2)) + "\n";
}

}  // namespace folio::app
