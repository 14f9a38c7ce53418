#include "bench_replay.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "http/request_target.h"
#include "query_args.h"

namespace folio::app {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

bool IsWriteMethod(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// A JSON string literal starting at `text` (its opening quote), decoded; nullopt if it is not
// one. For the text and logfmt access log formats, which quote targets as JSON does.
std::optional<std::string> JsonStringAt(std::string_view text) {
  size_t end = 1;
  while (end < text.size() && text[end] != '"')
    end += text[end] == '\\' ? 2 : 1;
  if (end >= text.size()) return std::nullopt;
  const auto parsed = nlohmann::json::parse(text.substr(0, end + 1), nullptr, false);
  if (!parsed.is_string()) return std::nullopt;
  return parsed.get<std::string>();
}

struct Extracted {
  std::string method;  // "" when the line does not say
  std::string target;  // "" when the line names no /v1/ target
};

Extracted Extract(std::string_view line) {
  Extracted out;
  if (line.front() == '{') {  // a JSON access log line
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) {
      if (j.contains("method") && j["method"].is_string()) out.method = j["method"];
      if (j.contains("target") && j["target"].is_string()) out.target = j["target"];
    }
    return out;
  }
  if (const size_t at = line.find("target="); at != std::string_view::npos) {  // logfmt
    if (const size_t m = line.find("method="); m != std::string_view::npos) {
      const std::string_view rest = line.substr(m + 7);
      out.method = std::string(rest.substr(0, rest.find(' ')));
    }
    const std::string_view value = line.substr(at + 7);
    if (!value.empty() && value.front() == '"') {
      out.target = JsonStringAt(value).value_or("");
    } else {
      out.target = std::string(value.substr(0, value.find(' ')));
    }
    return out;
  }
  // A URL, a target, or a text access log line: `GET "/v1/…" 200 …`.
  const size_t v1 = line.find("/v1/");
  if (v1 == std::string_view::npos) return out;
  for (std::string_view method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}) {
    const size_t m = line.find(method);
    if (m != std::string_view::npos && m < v1) {
      out.method = std::string(method);
      break;
    }
  }
  if (v1 > 0 && line[v1 - 1] == '"') {
    out.target = JsonStringAt(line.substr(v1 - 1)).value_or("");
  } else {
    const std::string_view rest = line.substr(v1);
    out.target = std::string(rest.substr(0, rest.find_first_of(" \t\"")));
  }
  return out;
}

enum class Parsed { kRead, kOtherRoute, kUnparsable };

Parsed ParseRead(const std::string& target, ReplayRead* read) {
  auto parsed = ParseRequestTarget(target);
  if (!parsed.ok()) return Parsed::kUnparsable;
  const auto& seg = parsed->segments;
  if (seg.size() == 5 && seg[0] == "v1" && seg[2] == "types" && seg[4] == "documents") {
    read->listing = true;
    read->query.tenant = seg[1];
    read->query.type = seg[3];
    return ParseListingParams(parsed->params, read->query).ok() ? Parsed::kRead
                                                                : Parsed::kUnparsable;
  }
  if (seg.size() == 4 && seg[0] == "v1" && seg[2] == "documents") {
    read->listing = false;
    read->tenant = seg[1];
    read->root = seg[3];
    storage::Query q;
    for (const auto& [key, value] : parsed->params) {
      Status s = key == "status"    ? ParseStatus(value, q)
                 : key == "include" ? ParseInclude(value, q)
                                    : Status::InvalidArgument(key);
      if (!s.ok()) return Parsed::kUnparsable;
    }
    read->axis = q.axis;
    read->include = std::move(q.include);
    return Parsed::kRead;
  }
  return Parsed::kOtherRoute;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

LatencySummary Summarize(std::vector<int64_t> nanos) {
  LatencySummary s;
  s.count = nanos.size();
  if (nanos.empty()) return s;
  std::sort(nanos.begin(), nanos.end());
  auto at = [&](double q) {
    const size_t i = std::min(nanos.size() - 1, static_cast<size_t>(q * nanos.size()));
    return static_cast<double>(nanos[i]) / 1e3;
  };
  s.p50_us = at(0.50);
  s.p90_us = at(0.90);
  s.p99_us = at(0.99);
  s.max_us = static_cast<double>(nanos.back()) / 1e3;
  double sum = 0;
  for (int64_t n : nanos)
    sum += static_cast<double>(n);
  s.mean_us = sum / static_cast<double>(nanos.size()) / 1e3;
  return s;
}

// One read through `engine`: its bytes (empty on an error), and the tier that answered.
struct Answer {
  std::string_view bytes;
  std::shared_ptr<const std::string> owner;
  std::optional<Tier> tier;
};

Answer Read(Engine& engine, const ReplayRead& read) {
  Answer a;
  if (read.listing) {
    auto page = engine.Query(read.query);
    if (!page.ok()) return a;
    a.owner = page->bytes();
    a.bytes = page->body();
    a.tier = page->tier();
  } else {
    auto doc = engine.Get(read.tenant, read.root, read.axis, {}, read.include);
    if (!doc.ok()) return a;
    a.owner = doc->bytes();
    a.bytes = doc->json();
    a.tier = doc->tier();
  }
  return a;
}

std::string Micros(double us) {
  char out[32];
  if (us >= 1000) {
    std::snprintf(out, sizeof out, "%.2f ms", us / 1000);
  } else {
    std::snprintf(out, sizeof out, "%.1f us", us);
  }
  return out;
}

std::string Percent(uint64_t part, uint64_t whole) {
  char out[16];
  std::snprintf(out, sizeof out, "%.1f%%",
                whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return out;
}

nlohmann::json LatencyJson(const LatencySummary& s) {
  return {{"count", s.count},   {"p50_us", s.p50_us}, {"p90_us", s.p90_us},
          {"p99_us", s.p99_us}, {"max_us", s.max_us}, {"mean_us", s.mean_us}};
}

}  // namespace

ReplayLog ReadReplayLog(std::istream& in) {
  ReplayLog log;
  for (std::string raw; std::getline(in, raw);) {
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    ++log.lines;
    const Extracted e = Extract(line);
    if (IsWriteMethod(e.method)) {
      ++log.skipped_writes;
      continue;
    }
    if (e.target.empty() || (!e.method.empty() && e.method != "GET" && e.method != "HEAD")) {
      ++log.skipped_other;
      continue;
    }
    ReplayRead read;
    switch (ParseRead(e.target, &read)) {
      case Parsed::kRead:
        log.reads.push_back(std::move(read));
        break;
      case Parsed::kOtherRoute:
        ++log.skipped_other;
        break;
      case Parsed::kUnparsable:
        ++log.unparsable;
        break;
    }
  }
  return log;
}

ReplayReport Replay(const ReplayLog& log, Engine& direct, Engine& cached, int passes) {
  ReplayReport report;
  report.reads = log.reads.size();
  report.passes = std::max(1, passes);
  std::vector<int64_t> direct_nanos, engine_nanos;
  // What the direct engine answered, by content tag (not the bytes: a long log of big pages
  // would hold them all); "" for an error. Hashed outside the timed section.
  std::vector<std::string> expected;
  direct_nanos.reserve(log.reads.size());
  expected.reserve(log.reads.size());
  // The direct pass first: the cached engine's misses then find SQLite as warm as it was.
  for (const ReplayRead& read : log.reads) {
    const int64_t start = NowNanos();
    const Answer answer = Read(direct, read);
    direct_nanos.push_back(NowNanos() - start);
    expected.push_back(answer.tier ? ContentTagOf(answer.bytes) : std::string());
    if (!answer.tier) ++report.errors;
  }
  engine_nanos.reserve(log.reads.size() * static_cast<size_t>(report.passes));
  for (int pass = 0; pass < report.passes; ++pass) {
    for (size_t i = 0; i < log.reads.size(); ++i) {
      const int64_t start = NowNanos();
      const Answer got = Read(cached, log.reads[i]);
      engine_nanos.push_back(NowNanos() - start);
      if (!got.tier) {
        if (!expected[i].empty()) ++report.errors;
        continue;
      }
      switch (*got.tier) {
        case Tier::kMemory:
          ++report.memory;
          break;
        case Tier::kKv:
          ++report.kv;
          break;
        case Tier::kDatabase:
          ++report.database;
          break;
      }
      if (ContentTagOf(got.bytes) != expected[i]) ++report.mismatches;
    }
  }
  report.direct = Summarize(std::move(direct_nanos));
  report.engine = Summarize(std::move(engine_nanos));
  report.speedup = report.engine.mean_us > 0 ? report.direct.mean_us / report.engine.mean_us : 0;
  return report;
}

std::string ReplayReportText(const ReplayLog& log, const ReplayReport& r) {
  std::string out;
  char line[256];
  std::snprintf(
      line, sizeof line,
      "folio bench: %llu reads replayed (%llu lines; skipped: %llu writes, %llu other "
      "routes, %llu unparsable); %d pass%s through the engine\n\n",
      static_cast<unsigned long long>(r.reads), static_cast<unsigned long long>(log.lines),
      static_cast<unsigned long long>(log.skipped_writes),
      static_cast<unsigned long long>(log.skipped_other),
      static_cast<unsigned long long>(log.unparsable), r.passes, r.passes == 1 ? "" : "es");
  out += line;
  std::snprintf(line, sizeof line, "%-22s %10s %10s %10s %10s %10s\n", "latency per read", "p50",
                "p90", "p99", "max", "mean");
  out += line;
  for (const auto& [name, s] :
       {std::pair<const char*, const LatencySummary&>{"direct (SQLite)", r.direct},
        {"through folio", r.engine}}) {
    std::snprintf(line, sizeof line, "%-22s %10s %10s %10s %10s %10s\n", name,
                  Micros(s.p50_us).c_str(), Micros(s.p90_us).c_str(), Micros(s.p99_us).c_str(),
                  Micros(s.max_us).c_str(), Micros(s.mean_us).c_str());
    out += line;
  }
  const uint64_t answered = r.memory + r.kv + r.database;
  out += "\nanswered by: memory " + Percent(r.memory, answered) + " (" + std::to_string(r.memory) +
         "), kv " + Percent(r.kv, answered) + " (" + std::to_string(r.kv) + "), database " +
         Percent(r.database, answered) + " (" + std::to_string(r.database) + ")\n";
  std::snprintf(line, sizeof line, "speed-up: %.1fx (mean latency, direct / through folio)\n",
                r.speedup);
  out += line;
  if (r.errors > 0 || r.mismatches > 0) {
    out += "errors: " + std::to_string(r.errors) +
           " (reads answered with an error: missing "
           "documents, unknown types); differing answers: " +
           std::to_string(r.mismatches) + " (the data changed during the replay)\n";
  }
  return out;
}

std::string ReplayReportJson(const ReplayLog& log, const ReplayReport& r) {
  nlohmann::json j = {{"reads", r.reads},
                      {"lines", log.lines},
                      {"skipped",
                       {{"writes", log.skipped_writes},
                        {"other", log.skipped_other},
                        {"unparsable", log.unparsable}}},
                      {"passes", r.passes},
                      {"direct", LatencyJson(r.direct)},
                      {"engine", LatencyJson(r.engine)},
                      {"tiers", {{"memory", r.memory}, {"kv", r.kv}, {"database", r.database}}},
                      {"speedup", r.speedup},
                      {"errors", r.errors},
                      {"mismatches", r.mismatches}};
  return j.dump(2) + "\n";
}

}  // namespace folio::app
