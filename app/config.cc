#include "config.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <type_traits>

#include "build_info.h"

namespace folio::app {
namespace {

// ---- Where a setting lands ----

// A field of one of Config's parts (Config::engine, Config::http), of the value's own type.
template <auto Part, auto Field>
constexpr Setting::Access Member() {
  return {
      [](Config& c, const ConfigValue& v) {
        using T = std::remove_cvref_t<decltype((c.*Part).*Field)>;
        (c.*Part).*Field = v.get<T>();
      },
      [](const Config& c) -> ConfigValue { return (c.*Part).*Field; },
  };
}

// A field of Config itself.
template <auto Field>
constexpr Setting::Access Own() {
  return {
      [](Config& c, const ConfigValue& v) {
        c.*Field = v.get<std::remove_cvref_t<decltype(c.*Field)>>();
      },
      [](const Config& c) -> ConfigValue { return c.*Field; },
  };
}

// Options counts time in microseconds; people think of these bounds in milliseconds.
template <auto Field>
constexpr Setting::Access MillisAsMicros() {
  return {
      [](Config& c, const ConfigValue& v) { c.engine.*Field = v.get<int64_t>() * 1000; },
      [](const Config& c) -> ConfigValue { return c.engine.*Field / 1000; },
  };
}

// ---- Checks narrower than a kind ----

Status NotEmpty(const ConfigValue& v) {
  if (v.get<std::string>().empty()) return Status::InvalidArgument("must not be empty");
  return Status::Ok();
}

Status ListenAddress(const ConfigValue& v) {
  std::string host;
  uint16_t port = 0;
  Status s = ParseListen(v.get<std::string>(), &host, &port);
  // ParseListen's messages start with "--listen", which a file or variable did not say.
  if (!s.ok()) {
    return Status::InvalidArgument("'" + v.get<std::string>() +
                                   "' is not HOST:PORT with a port in 0..65535 (IPv6: [::1]:8080)");
  }
  return Status::Ok();
}

// The Origin header a browser sends is exactly scheme://host[:port], so anything else (a
// trailing slash, a path, no scheme) would silently never match.
Status CorsOrigins(const ConfigValue& v) {
  for (const auto& item : v) {
    const std::string origin = item.get<std::string>();
    if (origin == "*") continue;
    const size_t sep = origin.find("://");
    const bool scheme_ok =
        sep != std::string::npos && sep > 0 && std::isalpha(static_cast<unsigned char>(origin[0]));
    const bool host_ok = scheme_ok && sep + 3 < origin.size() &&
                         origin.find_first_of("/ ", sep + 3) == std::string::npos;
    if (!host_ok) {
      return Status::InvalidArgument("'" + origin +
                                     "' is not an origin: write scheme://host[:port] with no "
                                     "path, e.g. https://app.example, or * for any");
    }
  }
  return Status::Ok();
}

constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max() / 1000;
constexpr int64_t kIntMax = std::numeric_limits<int>::max();

// The table. Defaults are not written here: they are Config{}'s (Options and HttpConfig).
const Setting kSettings[] = {
    // ---- Where (every command) ----
    {.name = "data-dir",
     .help = "data directory: holds folio.sqlite, the L2 cache (kv/) and folio.epoch",
     .check = NotEmpty,
     .access = Member<&Config::engine, &Options::data_dir>()},
    {.name = "db",
     .help = "SQLite file to serve; unset: <data-dir>/folio.sqlite",
     .access = Member<&Config::engine, &Options::db_path>()},
    {.name = "tenant",
     .help = "tenant the CLI's commands read and write (serve takes it from each URL)",
     .check = NotEmpty,
     .access = Own<&Config::tenant>()},
    {.name = "durability",
     .kind = SettingKind::kChoice,
     .help = "full: a write that returned survives a power loss (fsync per commit); normal: it "
             "survives a crash of folio, the last ones may be lost to a power loss (faster)",
     .choices = "full|normal",
     .access = {[](Config& c, const ConfigValue& v) { c.engine.durable_writes = v == "full"; },
                [](const Config& c) -> ConfigValue {
                  return c.engine.durable_writes ? "full" : "normal";
                }}},
    // ---- L1: in-process ----
    {.name = "l1-bytes",
     .kind = SettingKind::kSize,
     .unit = "bytes",
     .help = "in-process (L1) cache capacity; 0 disables it",
     .access = Member<&Config::engine, &Options::l1_capacity_bytes>()},
    {.name = "l1-shard-bits",
     .kind = SettingKind::kInt,
     .help = "log2 of L1's shard count; -1 picks it from the number of cores",
     .min = -1,
     .max = 16,
     .access = Member<&Config::engine, &Options::l1_shard_bits>()},
    {.name = "l1-thread-front",
     .kind = SettingKind::kBool,
     .help = "per-thread fronts of 256 recent pages ahead of L1's shards, so repeated hits write "
             "no memory other threads share",
     .access = Member<&Config::engine, &Options::l1_thread_front>()},
    // ---- L2: LMDB in <data-dir>/kv ----
    {.name = "l2",
     .kind = SettingKind::kBool,
     .help = "the persistent cache shared by every folio process on the data dir (kv/)",
     .access = Member<&Config::engine, &Options::l2_enabled>()},
    {.name = "l2-bytes",
     .kind = SettingKind::kSize,
     .unit = "bytes",
     .help = "L2's map size, the most kv/ grows to; every process on the data dir must agree",
     .min = int64_t{256} << 10,  // LMDB's environment refuses less (kv::KvStore)
     .access = Member<&Config::engine, &Options::l2_map_size_bytes>()},
    {.name = "l2-durable-commits",
     .kind = SettingKind::kBool,
     .help = "fsync every L2 commit (an entry an OS crash loses is only a miss)",
     .access = Member<&Config::engine, &Options::l2_durable_commits>()},
    {.name = "l2-verify-checksums",
     .kind = SettingKind::kBool,
     .help = "hash every L2 value on every hit, so bytes damaged on disk are a miss, never an "
             "answer",
     .access = Member<&Config::engine, &Options::l2_verify_checksums>()},
    {.name = "l2-fill-queue",
     .kind = SettingKind::kInt,
     .unit = "pages",
     .help = "fills waiting for the background L2 writer; beyond it fills are dropped (counted)",
     .access = Member<&Config::engine, &Options::l2_fill_queue_limit>()},
    // ---- Pages ----
    {.name = "page-ttl-ms",
     .kind = SettingKind::kInt,
     .unit = "ms",
     .help = "upper bound on a cached page's life; 0: none (writes invalidate what they change)",
     .max = kMaxMillis,
     .access = MillisAsMicros<&Options::page_ttl_micros>()},
    // ---- L3: SQLite ----
    {.name = "sqlite-threads",
     .kind = SettingKind::kInt,
     .help = "threads that run blocking SQLite work",
     .min = 1,
     .max = 256,
     .access = Member<&Config::engine, &Options::sqlite_threads>()},
    {.name = "read-connections",
     .kind = SettingKind::kInt,
     .help = "read connections in the SQLite pool",
     .min = 1,
     .max = 64,
     .access = Member<&Config::engine, &Options::read_connections>()},
    {.name = "keep-versions",
     .kind = SettingKind::kInt,
     .help = "versions kept per document, 0 keeps all (a type's maxVersionsPerRoot wins)",
     .max = kIntMax,
     .access = Member<&Config::engine, &Options::keep_versions>()},
    // ---- Consistency ----
    {.name = "external-write-bound-ms",
     .kind = SettingKind::kInt,
     .unit = "ms",
     .help = "writes made to the SQLite file by other programs are seen within this bound",
     .min = 1,
     .max = kMaxMillis,
     .access = MillisAsMicros<&Options::external_write_bound_micros>()},
    // ---- serve ----
    {.name = "listen",
     .scope = SettingScope::kServe,
     .help = "HOST:PORT to listen on ([::1]:8080 for IPv6; port 0 picks a free one)",
     .check = ListenAddress,
     .access = Member<&Config::http, &HttpConfig::listen>()},
    {.name = "threads",
     .kind = SettingKind::kInt,
     .scope = SettingScope::kServe,
     .help = "HTTP io threads; 0: one per core",
     .max = 1024,
     .access = Member<&Config::http, &HttpConfig::threads>()},
    {.name = "token",
     .scope = SettingScope::kServe,
     .help = "bearer token that writes, type registration and draft reads need",
     .secret = true,
     .access = Member<&Config::http, &HttpConfig::token>()},
    {.name = "log-level",
     .kind = SettingKind::kChoice,
     .scope = SettingScope::kServe,
     .help = "the service's log level",
     .choices = "trace|debug|info|warn|error|critical|off",
     .access = Member<&Config::http, &HttpConfig::log_level>()},
    {.name = "access-log",
     .kind = SettingKind::kBool,
     .scope = SettingScope::kServe,
     .help = "log every request on stderr",
     .access = Member<&Config::http, &HttpConfig::access_log>()},
    {.name = "log-format",
     .kind = SettingKind::kChoice,
     .scope = SettingScope::kServe,
     .help = "access log lines: text, json (an object per line) or logfmt",
     .choices = "text|json|logfmt",
     .access = Member<&Config::http, &HttpConfig::log_format>()},
    {.name = "max-connections",
     .kind = SettingKind::kInt,
     .scope = SettingScope::kServe,
     .help = "connections served at once (lowered to what the descriptor limit allows)",
     .min = 1,
     .max = kIntMax,
     .access = Member<&Config::http, &HttpConfig::max_connections>()},
    {.name = "body-limit",
     .kind = SettingKind::kSize,
     .scope = SettingScope::kServe,
     .unit = "bytes",
     .help = "largest request body",
     .access = Member<&Config::http, &HttpConfig::body_limit_bytes>()},
    {.name = "header-limit",
     .kind = SettingKind::kSize,
     .scope = SettingScope::kServe,
     .unit = "bytes",
     .help = "largest request header",
     .min = 1,
     .max = int64_t{1} << 30,  // Beast's parser takes a 32-bit limit; this is plenty
     .access = Member<&Config::http, &HttpConfig::header_limit_bytes>()},
    {.name = "url-limit",
     .kind = SettingKind::kSize,
     .scope = SettingScope::kServe,
     .unit = "bytes",
     .help = "longest request target (path and query)",
     .min = 1,
     .access = Member<&Config::http, &HttpConfig::url_limit_bytes>()},
    {.name = "request-timeout-ms",
     .kind = SettingKind::kInt,
     .scope = SettingScope::kServe,
     .unit = "ms",
     .help = "time to read one whole request once it has started",
     .min = 1,
     .access = Member<&Config::http, &HttpConfig::request_timeout_ms>()},
    {.name = "idle-timeout-ms",
     .kind = SettingKind::kInt,
     .scope = SettingScope::kServe,
     .unit = "ms",
     .help = "a keep-alive connection with no request is closed after this",
     .min = 1,
     .access = Member<&Config::http, &HttpConfig::idle_timeout_ms>()},
    {.name = "shutdown-grace-ms",
     .kind = SettingKind::kInt,
     .scope = SettingScope::kServe,
     .unit = "ms",
     .help = "in-flight requests get this long after SIGINT/SIGTERM",
     .access = Member<&Config::http, &HttpConfig::shutdown_grace_ms>()},
    {.name = "cors",
     .kind = SettingKind::kList,
     .scope = SettingScope::kServe,
     .help = "origins browsers may call the API from, e.g. https://app.example; * for any",
     .check = CorsOrigins,
     .access = Member<&Config::http, &HttpConfig::cors_origins>()},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// "-1..16", "1 or more", "256KiB or more".
std::string RangeText(const Setting& s) {
  auto number = [&s](int64_t n) {
    return s.kind == SettingKind::kSize ? FormatSize(static_cast<uint64_t>(n)) : std::to_string(n);
  };
  // Bounds that only keep arithmetic from overflowing are not worth reading.
  if (s.max >= std::numeric_limits<int>::max()) return number(s.min) + " or more";
  return number(s.min) + ".." + number(s.max);
}

std::string ChoicesText(std::string_view choices) {
  std::string out(choices);
  const size_t last = out.rfind('|');
  std::replace(out.begin(), out.end(), '|', ',');
  if (last != std::string::npos) out.replace(last, 1, " or ");
  for (size_t i = out.find(','); i != std::string::npos; i = out.find(',', i + 2))
    out.insert(i + 1, " ");
  return out;
}

bool IsChoice(std::string_view choices, std::string_view value) {
  size_t start = 0;
  for (;;) {
    const size_t bar = choices.find('|', start);
    if (choices.substr(start, bar - start) == value) return true;
    if (bar == std::string_view::npos) return false;
    start = bar + 1;
  }
}

// What every source's value goes through once it has its kind's shape: range, choices and
// the setting's own check. `shown` is the value as the source gave it.
Status Check(const Setting& s, const ConfigValue& v, const std::string& shown) {
  if (s.kind == SettingKind::kInt || s.kind == SettingKind::kSize) {
    const bool in_range =
        v.is_number_unsigned()
            ? v.get<uint64_t>() <= static_cast<uint64_t>(s.max) &&
                  (s.min <= 0 || v.get<uint64_t>() >= static_cast<uint64_t>(s.min))
            : v.get<int64_t>() >= s.min && v.get<int64_t>() <= s.max;
    const bool too_small = v.is_number_unsigned()
                               ? s.min > 0 && v.get<uint64_t>() < static_cast<uint64_t>(s.min)
                               : v.get<int64_t>() < s.min;
    if (!in_range && !too_small && s.max >= std::numeric_limits<int>::max()) {
      return Status::InvalidArgument(shown + " is out of range (too large)");
    }
    if (!in_range) {
      return Status::InvalidArgument(shown + " is out of range: " + RangeText(s) +
                                     (s.unit.empty() ? "" : " " + std::string(s.unit)));
    }
  }
  if (s.kind == SettingKind::kChoice && !IsChoice(s.choices, v.get<std::string>())) {
    return Status::InvalidArgument(shown + " is not " + ChoicesText(s.choices));
  }
  if (s.check != nullptr) return s.check(v);
  return Status::Ok();
}

Result<bool> ParseBool(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  return Status::InvalidArgument(Quoted(text) +
                                 " is not a boolean: true, false, 1, 0, yes, no, on or off");
}

// How the value reads on a command line (and in `folio config`'s text).
std::string ValueText(const Setting& s, const ConfigValue& v) {
  if (s.secret && v.is_string() && !v.get<std::string>().empty()) return "***";
  switch (s.kind) {
    case SettingKind::kBool:
      return v.get<bool>() ? "true" : "false";
    case SettingKind::kInt:
      return v.dump();
    case SettingKind::kSize:
      return FormatSize(v.get<uint64_t>());
    case SettingKind::kList: {
      std::string out;
      for (const auto& item : v)
        out += (out.empty() ? "" : ",") + item.get<std::string>();
      return out.empty() ? "\"\"" : out;
    }
    case SettingKind::kString:
    case SettingKind::kChoice:
      break;
  }
  const std::string text = v.get<std::string>();
  return text.empty() ? "\"\"" : text;
}

std::string HelpLine(const Setting& s) {
  std::string help(s.help);
  const ConfigValue def = s.Default();
  const bool empty =
      (def.is_string() && def.get<std::string>().empty()) || (def.is_array() && def.empty());
  help += " (";
  if (!empty) {
    const std::string text = ValueText(s, def);
    help += "default " + (s.kind == SettingKind::kString ? Quoted(text) : text) + "; ";
  }
  help += "env " + s.EnvVar() + ")";
  return help;
}

}  // namespace

std::string Config::SourceOf(std::string_view name) const {
  auto it = sources.find(name);
  return it == sources.end() ? "default" : it->second;
}

std::string Setting::Flag() const {
  return "--" + std::string(name);
}

std::string Setting::EnvVar() const {
  std::string out = "FOLIO_";
  for (char c : name)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

ConfigValue Setting::Default() const {
  return access.get(Config{});
}

std::span<const Setting> Settings() {
  return kSettings;
}

const Setting* FindSetting(std::string_view name) {
  for (const Setting& s : kSettings) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<uint64_t> ParseSize(std::string_view text) {
  const auto bad = [text] {
    return Status::InvalidArgument(Quoted(text) +
                                   " is not a size: write bytes, or a whole number with k, M, G "
                                   "or T (KiB, MiB, GiB, TiB: powers of 1024), e.g. 256MiB");
  };
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0) return bad();
  uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc() || end != text.data() + digits) {
    return Status::InvalidArgument(Quoted(text) + " is too large");
  }
  const std::string suffix = Lower(text.substr(digits));
  int shift = -1;
  if (suffix.empty() || suffix == "b") shift = 0;
  if (suffix == "k" || suffix == "kib") shift = 10;
  if (suffix == "m" || suffix == "mib") shift = 20;
  if (suffix == "g" || suffix == "gib") shift = 30;
  if (suffix == "t" || suffix == "tib") shift = 40;
  if (suffix == "kb" || suffix == "mb" || suffix == "gb" || suffix == "tb") {
    const std::string binary =
        std::string(text.substr(0, digits)) +
        static_cast<char>(std::toupper(static_cast<unsigned char>(suffix[0]))) + "iB";
    return Status::InvalidArgument(Quoted(text) +
                                   " is ambiguous (powers of 1000 or 1024?): write " + binary +
                                   " for powers of 1024, or the bytes");
  }
  if (shift < 0) return bad();
  if (number > (std::numeric_limits<uint64_t>::max() >> shift)) {
    return Status::InvalidArgument(Quoted(text) + " is too large");
  }
  return number << shift;
}

std::string FormatSize(uint64_t bytes) {
  static constexpr std::array<std::pair<int, const char*>, 4> kUnits{
      {{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}}};
  if (bytes == 0) return "0";
  for (const auto& [shift, unit] : kUnits) {
    const uint64_t step = uint64_t{1} << shift;
    if (bytes % step == 0) return std::to_string(bytes / step) + unit;
  }
  return std::to_string(bytes);
}

Result<ConfigValue> ParseSettingText(const Setting& s, std::string_view text) {
  ConfigValue v;
  switch (s.kind) {
    case SettingKind::kString:
    case SettingKind::kChoice:
      v = std::string(text);
      break;
    case SettingKind::kBool: {
      auto b = ParseBool(text);
      if (!b.ok()) return b.status();
      v = *b;
      break;
    }
    case SettingKind::kInt: {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec == std::errc::result_out_of_range) {
        return Status::InvalidArgument(Quoted(text) + " is out of range");
      }
      if (ec != std::errc() || end != text.data() + text.size()) {
        return Status::InvalidArgument(Quoted(text) + " is not a whole number");
      }
      v = n;
      break;
    }
    case SettingKind::kSize: {
      auto n = ParseSize(text);
      if (!n.ok()) return n.status();
      v = *n;
      break;
    }
    case SettingKind::kList: {
      v = ConfigValue::array();
      size_t start = 0;
      while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        std::string_view item = text.substr(start, comma - start);
        while (!item.empty() && item.front() == ' ')
          item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
          item.remove_suffix(1);
        if (!item.empty()) v.push_back(std::string(item));
        start = comma + 1;
      }
      break;
    }
  }
  FOLIO_RETURN_IF_ERROR(Check(s, v, Quoted(text)));
  return v;
}

Result<ConfigValue> ParseSettingJson(const Setting& s, const ConfigValue& value) {
  const std::string shown = value.dump();
  const auto wrong = [&shown](const std::string& expected) {
    return Status::InvalidArgument(shown + " is not " + expected);
  };
  ConfigValue v;
  switch (s.kind) {
    case SettingKind::kString:
    case SettingKind::kChoice:
      if (!value.is_string()) return wrong("a string");
      v = value;
      break;
    case SettingKind::kBool:
      if (!value.is_boolean()) return wrong("true or false");
      v = value;
      break;
    case SettingKind::kInt:
      if (!value.is_number_integer()) return wrong("a whole number");
      if (value.is_number_unsigned() &&
          value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Status::InvalidArgument(shown + " is out of range");
      }
      v = value.get<int64_t>();
      break;
    case SettingKind::kSize:
      if (value.is_string()) {
        auto n = ParseSize(value.get<std::string>());
        if (!n.ok()) return n.status();
        v = *n;
      } else if (value.is_number_unsigned()) {
        v = value.get<uint64_t>();
      } else if (value.is_number_integer()) {  // negative
        return Status::InvalidArgument(shown + " is out of range: " + RangeText(s) + " bytes");
      } else {
        return wrong("a size (a number of bytes, or a string like \"256MiB\")");
      }
      break;
    case SettingKind::kList:
      if (value.is_string()) {
        v = ConfigValue::array({value});
      } else if (value.is_array() && std::all_of(value.begin(), value.end(),
                                                 [](const auto& e) { return e.is_string(); })) {
        v = value;
      } else {
        return wrong("a string or an array of strings");
      }
      break;
  }
  FOLIO_RETURN_IF_ERROR(Check(s, v, shown));
  return v;
}

Status ApplyConfigFile(const std::string& path, Config* config) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read config file '" + path + "'");
  const std::string where = "config file '" + path + "'";
  ConfigValue j;
  try {
    j = ConfigValue::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    return Status::InvalidArgument(where + " is not valid JSON (at byte " + std::to_string(e.byte) +
                                   ")");
  }
  if (!j.is_object()) return Status::InvalidArgument(where + " is not a JSON object");
  for (const auto& [key, value] : j.items()) {
    const Setting* s = FindSetting(key);
    if (s == nullptr) {
      std::vector<std::string> names;
      for (const Setting& known : kSettings)
        names.emplace_back(known.name);
      const std::string hint = ClosestMatch(key, names);
      return Status::InvalidArgument(where + ": unknown key '" + key + "'" +
                                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    auto v = ParseSettingJson(*s, value);
    if (!v.ok()) return v.status().WithContext(where + ": '" + key + "'");
    s->access.set(*config, *v);
    config->sources[key] = "file " + path;
  }
  config->file = path;
  return Status::Ok();
}

Result<Config> ResolveConfig(const ConfigInputs& inputs) {
  Config config;
  std::string file = inputs.config_file;
  const char* file_from_env = std::getenv(kConfigFileEnvVar);
  if (file.empty() && file_from_env != nullptr && *file_from_env != '\0') {
    Status s = ApplyConfigFile(file_from_env, &config);
    if (!s.ok()) return s.WithContext(std::string(kConfigFileEnvVar));
  } else if (!file.empty()) {
    FOLIO_RETURN_IF_ERROR(ApplyConfigFile(file, &config));
  }
  // An empty variable counts as unset, as FOLIO_DATA_DIR always did (`FOLIO_X= folio …`).
  for (const Setting& s : kSettings) {
    const std::string var = s.EnvVar();
    const char* text = std::getenv(var.c_str());
    if (text == nullptr || *text == '\0') continue;
    auto v = ParseSettingText(s, text);
    if (!v.ok()) return v.status().WithContext("environment variable " + var);
    s.access.set(config, *v);
    config.sources[std::string(s.name)] = "env " + var;
  }
  for (const auto& [name, text] : inputs.flags) {
    // As with variables, so `--token "$UNSET"` cannot switch off the file's token.
    if (text.empty()) continue;
    const Setting* s = FindSetting(name);
    if (s == nullptr) return Status::InvalidArgument("unknown setting '" + name + "'");
    auto v = ParseSettingText(*s, text);
    if (!v.ok()) return v.status().WithContext(s->Flag());
    s->access.set(config, *v);
    config.sources[name] = "flag";
  }
  // `folio config` shows the file that will be served, not a blank.
  if (config.engine.db_path.empty()) {
    config.engine.db_path =
        (std::filesystem::path(config.engine.data_dir) / "folio.sqlite").string();
  }
  return config;
}

Options EngineOptions(const Config& config, bool create_if_missing) {
  Options options = config.engine;
  if (options.db_path.empty()) {
    options.db_path = (std::filesystem::path(options.data_dir) / "folio.sqlite").string();
  }
  options.create_if_missing = create_if_missing;
  return options;
}

std::string ConfigText(const Config& config) {
  std::string out;
  for (const Setting& s : kSettings) {
    out += std::string(s.name) + " = " + ValueText(s, s.access.get(config)) + "  (" +
           config.SourceOf(s.name) + ")\n";
  }
  return out;
}

std::string ConfigJson(const Config& config) {
  ConfigValue out = ConfigValue::object();
  for (const Setting& s : kSettings) {
    ConfigValue value = s.access.get(config);
    if (s.secret && !value.get<std::string>().empty()) value = "***";
    out[std::string(s.name)] = {{"value", value}, {"source", config.SourceOf(s.name)}};
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ConfigFlags::AddTo(CLI::App* app, SettingScope scope) {
  for (const Setting& s : kSettings) {
    if (s.scope != scope) continue;
    Slot& slot = slots_[std::string(s.name)];
    const std::string help = HelpLine(s);
    CLI::Option* option = nullptr;
    switch (s.kind) {
      case SettingKind::kBool:
        option = app->add_flag(s.Flag() + ",!--no-" + std::string(s.name), slot.on, help);
        break;
      case SettingKind::kList:
        option = app->add_option(s.Flag(), slot.list, help)->delimiter(',')->type_name("TEXT");
        break;
      case SettingKind::kInt:
        option = app->add_option(s.Flag(), slot.text, help)->type_name("INT");
        break;
      case SettingKind::kSize:
        option = app->add_option(s.Flag(), slot.text, help)->type_name("SIZE");
        break;
      case SettingKind::kChoice:
        option = app->add_option(s.Flag(), slot.text, help)->type_name(std::string(s.choices));
        break;
      case SettingKind::kString:
        option = app->add_option(s.Flag(), slot.text, help);
        break;
    }
    // The last of a repeated flag wins, so a wrapper script's flags can be overridden after it.
    if (s.kind != SettingKind::kList) option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    slot.options.push_back(option);
  }
}

std::map<std::string, std::string, std::less<>> ConfigFlags::Given() const {
  std::map<std::string, std::string, std::less<>> given;
  for (const auto& [name, slot] : slots_) {
    size_t count = 0;
    for (const CLI::Option* option : slot.options)
      count += option->count();
    if (count == 0) continue;
    const Setting* s = FindSetting(name);
    if (s->kind == SettingKind::kBool) {
      given[name] = slot.on ? "true" : "false";
    } else if (s->kind == SettingKind::kList) {
      std::string joined;
      for (const std::string& item : slot.list)
        joined += (joined.empty() ? "" : ",") + item;
      given[name] = joined;
    } else {
      given[name] = slot.text;
    }
  }
  return given;
}

}  // namespace folio::app
