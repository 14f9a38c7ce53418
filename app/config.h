// folio's settings: one table that drives the command-line flags, the FOLIO_* environment
// variables, the JSON config file and `folio config`. A setting's name is its long flag
// without dashes and its config-file key ("l1-bytes"); its variable is FOLIO_ + the name in
// upper case with '-' as '_' (FOLIO_L1_BYTES). Precedence, lowest first: the default, the
// config file (--config FILE, else $FOLIO_CONFIG), the environment, the command line.
// docs/configuration.md describes every setting.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "folio/base/status.h"
#include "folio/engine/options.h"
#include "http/http_config.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace folio::app {

// A setting's value in its one canonical form: a string, a bool, an integer, a byte count
// (unsigned) or a list of strings. Ordered so `folio config --json` keeps the table's order.
using ConfigValue = nlohmann::ordered_json;

// Everything a folio command runs with once the settings are resolved.
struct Config {
  Options engine{};                // what Engine::Open gets (data_dir and db_path included)
  HttpConfig http{};               // what `folio serve` listens with
  std::string tenant = "default";  // the tenant the CLI's commands act in
  std::string file{};              // the config file that was read; "" when none was
  // Where each setting's value came from, by name: "file PATH", "env FOLIO_X" or "flag".
  // A setting missing here has its default.
  std::map<std::string, std::string, std::less<>> sources{};

  // "default", "file PATH", "env FOLIO_X" or "flag".
  std::string SourceOf(std::string_view name) const;
};

enum class SettingKind {
  kString,  // any text (a custom check may narrow it)
  kChoice,  // one of `choices`
  kBool,    // flags --NAME / --no-NAME; text true|false|1|0|yes|no|on|off; JSON true|false
  kInt,     // a whole number in min..max
  kSize,    // bytes in min..max: 1048576, or 64k, 256MiB, 1GiB, 2T (powers of 1024)
  kList,    // strings: repeated flag values or comma-separated text; a JSON string or array
};

// Where a setting's flag is accepted: by every command (it shapes the engine or the CLI), or
// by `serve` (and `config`, so it can show what `serve` would use).
enum class SettingScope { kGlobal, kServe };

struct Setting {
  std::string_view name{};  // long flag without dashes, and config-file key
  SettingKind kind = SettingKind::kString;
  SettingScope scope = SettingScope::kGlobal;
  std::string_view unit{};     // "bytes", "ms", … ("" when none)
  std::string_view help{};     // one line for --help and the docs
  int64_t min = 0;             // kInt, kSize: the smallest value accepted
  int64_t max = INT64_MAX;     // kInt, kSize: the largest value accepted
  std::string_view choices{};  // kChoice: "a|b|c"
  bool secret = false;         // printed as "***" when set (never its value)
  // Narrower checks than the kind's (kString, kList); nullptr when none. The message names
  // the value; the caller adds which source gave it.
  Status (*check)(const ConfigValue& value) = nullptr;
  // Where it lands in Config (a field of Options, of HttpConfig or of the CLI's), and back.
  struct Access {
    void (*set)(Config& config, const ConfigValue& value) = nullptr;  // value already checked
    ConfigValue (*get)(const Config& config) = nullptr;
  };
  Access access{};

  std::string Flag() const;     // "--l1-bytes"
  std::string EnvVar() const;   // "FOLIO_L1_BYTES"
  ConfigValue Default() const;  // its value in Config{}
};

// Every setting, in the order `folio config` prints them.
std::span<const Setting> Settings();
// The setting named `name`, or nullptr.
const Setting* FindSetting(std::string_view name);

// The variable that names the config file when --config is not given.
inline constexpr const char* kConfigFileEnvVar = "FOLIO_CONFIG";

// Parses a setting's value from the text of a flag or an environment variable, checked
// (kind, range, choices, custom check). InvalidArgument names the value and what it should be.
Result<ConfigValue> ParseSettingText(const Setting& setting, std::string_view text);
// The same from a config file's JSON value (sizes may be numbers or strings like "256MiB").
Result<ConfigValue> ParseSettingJson(const Setting& setting, const ConfigValue& value);

// Parses a byte count: digits, then optionally one of k, M, G, T (any case, or KiB, MiB, GiB,
// TiB, or B), each a power of 1024. Nothing else: no sign, space, fraction or KB/MB (which
// some read as powers of 1000).
Result<uint64_t> ParseSize(std::string_view text);
// The inverse for printing: "256MiB" when exact, else the plain number of bytes.
std::string FormatSize(uint64_t bytes);

// What the caller gathered from outside the environment.
struct ConfigInputs {
  std::string config_file{};  // --config; "" means $FOLIO_CONFIG, when set
  // The settings given on the command line, by name, as text (a list joined with ',').
  std::map<std::string, std::string, std::less<>> flags{};
};

// The effective configuration: defaults < config file < FOLIO_* variables < flags. Reads the
// environment and the config file; opens nothing else. Errors: InvalidArgument naming the
// file and key, the variable, or the flag, with the value; IOError when the file is unreadable.
Result<Config> ResolveConfig(const ConfigInputs& inputs);

// Applies the JSON config file at `path` over `config` (a key the file does not name keeps
// its value) and records "file PATH" as those settings' source. Unknown keys are an error.
Status ApplyConfigFile(const std::string& path, Config* config);

// The Options to open the Engine with: the resolved ones, db_path made explicit.
Options EngineOptions(const Config& config, bool create_if_missing);

// `folio config`: one line per setting, "name = value  (source)", the token as "***".
std::string ConfigText(const Config& config);
// `folio config --json`: {"name": {"value": …, "source": "…"}, …}, the token as "***".
std::string ConfigJson(const Config& config);

// The CLI11 side: a flag per setting, and what was given.
class ConfigFlags {
 public:
  // Adds a flag for every setting of `scope` to `app`. May be called for several apps (the
  // serve settings go to both `serve` and `config`); what any of them got counts.
  void AddTo(CLI::App* app, SettingScope scope);
  // After parsing: the settings given on the command line, by name, as text.
  std::map<std::string, std::string, std::less<>> Given() const;

 private:
  struct Slot {
    std::string text{};
    std::vector<std::string> list{};
    bool on = false;
    std::vector<const CLI::Option*> options{};
  };
  std::map<std::string, Slot, std::less<>> slots_{};  // map nodes stay put: CLI11 holds pointers
};

}  // namespace folio::app
