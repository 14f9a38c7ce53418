#include "commands.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "bench_replay.h"
#include "build_info.h"
#include "cache_meta.h"
#include "cli_output.h"
#include "config.h"
#include "folio/engine/engine.h"
#include "folio/storage/type_format.h"
#include "folio/tools/seed.h"
#include "http/connection_limits.h"
#include "http/principal_header.h"
#include "http/server.h"
#include "permission_rules.h"
#include "progress_bar.h"
#include "query_args.h"
#include "stats_json.h"

namespace folio::app {
namespace {

using tools::SeedDocuments;
using tools::SeedOptions;
using tools::SeedTypeIds;

// The global flags that are not settings (app/config.h): they name this command's inputs.
struct GlobalFlags {
  std::string config_file;        // --config; "" = $FOLIO_CONFIG, if set
  std::optional<std::string> as;  // write as this principal (X-Folio-Principal's syntax)
};

struct DocumentFlags {
  std::string data;
  std::optional<std::string> slug, title, locale, parent;
  std::optional<int64_t> scheduled_at, expires_at, sort_order;
  bool clear_scheduled_at = false, clear_expires_at = false;
};

struct QueryFlags {
  std::string type, status = "published", locale = "default", sort = "updated_at", order = "desc",
                    cursor, include;
  std::optional<std::string> parent;
  std::vector<std::string> where, facets;
  int limit = 20;
  bool all = false;
  bool explain = false;
};

class Cli {
 public:
  Cli(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  // The first word of the command line that is not a global option or its value, when it
  // names no command; "" otherwise (CLI11 would only say a subcommand is required).
  static std::string UnknownCommand(CLI::App& app, int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg.rfind("-", 0) == 0) {
        if (arg.find('=') != std::string::npos) continue;
        const CLI::Option* opt = app.get_option_no_throw(arg);
        if (opt != nullptr && opt->get_type_size() != 0) ++i;  // its value follows
        continue;
      }
      for (const CLI::App* sub : app.get_subcommands({})) {
        if (sub->check_name(arg)) return "";
      }
      return arg;
    }
    return "";
  }

  int Run(int argc, char** argv) {
    CLI::App app{"folio: a caching query engine over a SQLite document store"};
    app.require_subcommand(1);
    // Global options may follow the command too: `folio serve --l1-bytes 1GiB`.
    app.fallthrough();
    const std::string config_help = "JSON file of settings, keyed by their flag names (default $" +
                                    std::string(kConfigFileEnvVar) + "); see docs/configuration.md";
    app.add_option("--config", flags_.config_file, config_help);
    settings_.AddTo(&app, SettingScope::kGlobal);
    app.add_option("--as", flags_.as,
                   "write as this principal, e.g. user:u1,role:editor: the document's rules and "
                   "its type's baseGrants must allow the write (default: an administrator)");

    // A command runs once the settings are resolved, after CLI11 has parsed everything (the
    // callbacks only pick the command).
    auto run = [this](std::function<int()> command) {
      return [this, command = std::move(command)] { command_ = command; };
    };

    app.add_subcommand("init", "create the data dir and database, apply migrations")
        ->callback(run([this] { return Init(); }));

    auto* migrate = app.add_subcommand("migrate", "apply pending migrations");
    bool migrate_status = false;
    migrate->add_flag("--status", migrate_status,
                      "list migrations and whether they are applied, applying none");
    migrate->callback(run([&, this] { return Migrate(migrate_status); }));

    auto* types = app.add_subcommand("types", "register and list document types");
    types->require_subcommand(1);
    auto* types_add = types->add_subcommand(
        "add",
        "register a type (or add fields to it): --field/--facet, or --json in SonicJS's "
        "DocumentType format");
    std::string type_id, type_json;
    std::vector<std::string> fields, facets;
    types_add->add_option("id", type_id, "type id, e.g. blog-post (or the JSON's \"id\")");
    types_add->add_option("--field", fields,
                          "queryable field as name:kind (text, number, integer, boolean, date)");
    types_add->add_option("--facet", facets, "multi-valued field indexed as facets, e.g. tags");
    types_add->add_option("--json", type_json,
                          "the type as JSON ({\"id\",\"queryableFields\":[…],\"settings\":{…}}), "
                          "@file, or - for stdin");
    types_add->callback(run([&, this] { return TypesAdd(type_id, fields, facets, type_json); }));
    types->add_subcommand("list", "list registered types")->callback(run([this] {
      return TypesList();
    }));

    auto* seed = app.add_subcommand("seed", "write synthetic documents");
    SeedOptions seed_options;
    bool no_publish = false;
    seed->add_option("-n,--count", seed_options.count, "documents to write")->capture_default_str();
    seed->add_option("-k,--types", seed_options.types, "number of types")->capture_default_str();
    seed->add_option("--body-bytes", seed_options.body_bytes, "size of each body text")
        ->capture_default_str();
    seed->add_option("--seed", seed_options.seed, "random seed")->capture_default_str();
    seed->add_flag("--no-publish", no_publish, "leave the documents as drafts");
    seed->callback(run([&, this] {
      seed_options.publish = !no_publish;
      return Seed(seed_options);
    }));

    DocumentFlags doc;
    std::string put_type, root;
    auto add_doc_flags = [&doc](CLI::App* cmd) {
      cmd->add_option("--data", doc.data, "JSON object, @file, or - for stdin")->required();
      cmd->add_option("--slug", doc.slug);
      cmd->add_option("--title", doc.title);
      cmd->add_option("--scheduled-at", doc.scheduled_at, "publish window start, Unix seconds");
      cmd->add_option("--expires-at", doc.expires_at, "publish window end, Unix seconds");
      cmd->add_flag("--clear-scheduled-at", doc.clear_scheduled_at, "remove the window's start");
      cmd->add_flag("--clear-expires-at", doc.clear_expires_at, "remove the window's end");
      cmd->add_option("--parent", doc.parent, "parent document's root ('' for top level)");
      cmd->add_option("--sort-order", doc.sort_order, "place among the parent's children");
    };
    auto* put =
        app.add_subcommand("put", "create a document (no ROOT) or write a new version of ROOT");
    put->add_option("root", root, "root id of the document to replace");
    put->add_option("--type", put_type, "type of a new document");
    put->add_option("--locale", doc.locale, "locale of a new document");
    add_doc_flags(put);
    put->callback(run([&, this] { return Put(root, put_type, doc, /*merge=*/false); }));
    auto* patch = app.add_subcommand("patch", "merge keys over ROOT's current draft (RFC 7396)");
    patch->add_option("root", root)->required();
    add_doc_flags(patch);
    patch->callback(run([&, this] { return Put(root, "", doc, /*merge=*/true); }));

    for (auto [name, action] : {std::pair{"publish", storage::LifecycleAction::kPublish},
                                std::pair{"unpublish", storage::LifecycleAction::kUnpublish},
                                std::pair{"delete", storage::LifecycleAction::kDelete},
                                std::pair{"restore", storage::LifecycleAction::kRestore}}) {
      auto* cmd = app.add_subcommand(name, std::string(name) + " a document");
      cmd->add_option("root", root)->required();
      cmd->callback(run([&, this, action = action] { return Lifecycle(root, action); }));
    }

    std::optional<std::string> permission_rules;
    auto* permissions = app.add_subcommand(
        "permissions", "print ROOT's permission rules (replacing them first with --set)");
    permissions->add_option("root", root)->required();
    permissions->add_option("--set", permission_rules,
                            "the new rules: a JSON array (or {\"rules\":[…]}) of {principal_type, "
                            "principal_id, permission, effect}, @file, or - for stdin");
    permissions->callback(run([&, this] { return Permissions(root, permission_rules); }));

    auto* get = app.add_subcommand("get", "print one document, by ROOT or by --type and --slug");
    std::string get_status = "published", get_type, get_slug, get_locale = "default";
    get->add_option("root", root);
    get->add_option("--status", get_status,
                    "published or draft (by slug also any: the published row, else the draft)")
        ->capture_default_str();
    get->add_option("--type", get_type, "the type of the --slug");
    get->add_option("--slug", get_slug, "read the document with this slug");
    get->add_option("--locale", get_locale, "the locale of the --slug")->capture_default_str();
    std::string get_include;
    get->add_option("--include", get_include,
                    "reference fields whose documents to embed, e.g. author,category");
    get->callback(run([&, this] {
      return get_slug.empty()
                 ? Get(root, get_status, get_include)
                 : GetBySlug(root, get_type, get_slug, get_locale, get_status, get_include);
    }));

    auto* versions = app.add_subcommand("versions", "list ROOT's versions, newest first");
    int versions_limit = 20;
    std::string versions_cursor;
    versions->add_option("root", root)->required();
    versions->add_option("--limit", versions_limit, "versions per page, 1..100")
        ->capture_default_str();
    versions->add_option("--cursor", versions_cursor, "next_cursor of the previous page");
    versions->callback(run([&, this] { return Versions(root, versions_limit, versions_cursor); }));
    auto* version = app.add_subcommand("version",
                                       "print version N of ROOT (--restore: make it "
                                       "the current draft)");
    int64_t version_number = 0;
    bool restore_version = false;
    version->add_option("root", root)->required();
    version->add_option("n", version_number)->required();
    version->add_flag("--restore", restore_version, "write a new current draft from version N");
    version->callback(run([&, this] { return Version(root, version_number, restore_version); }));
    auto* referrers =
        app.add_subcommand("referrers", "list the live documents that reference ROOT");
    referrers->add_option("root", root)->required();
    referrers->callback(run([&, this] { return Referrers(root); }));

    QueryFlags query;
    auto* q = app.add_subcommand("query", "print a page of a listing (or every page with --all)");
    AddQueryFlags(q, query);
    q->callback(run([&, this] { return Query(query); }));

    auto* demo = app.add_subcommand(
        "demo", "seed demo documents into a new data dir and walk a listing page by page");
    int64_t demo_count = 200;
    demo->add_option("-n,--count", demo_count, "documents to seed when the store is empty")
        ->capture_default_str();
    demo->callback(run([&, this] { return Demo(demo_count); }));

    auto* serve = app.add_subcommand("serve", "serve the HTTP/JSON API");
    serve->add_option("--config", flags_.config_file, config_help);
    settings_.AddTo(serve, SettingScope::kServe);
    serve->callback(run([this] { return Serve(config_.http); }));

    auto* config = app.add_subcommand(
        "config",
        "print the effective configuration and where each value came from (default, file, env, "
        "flag); it takes serve's flags too, and opens nothing");
    bool config_json = false;
    config->add_flag("--json", config_json, "print a JSON object {name: {value, source}}");
    settings_.AddTo(config, SettingScope::kServe);
    config->callback(run([&, this] {
      out_ << (config_json ? ConfigJson(config_) + "\n" : ConfigText(config_));
      return 0;
    }));

    auto* export_cmd = app.add_subcommand("export", "write the database as a SQL dump");
    std::string dump_path;
    export_cmd->add_option("file", dump_path, "where to write it (default: stdout)");
    export_cmd->callback(run([&, this] { return Export(dump_path); }));
    auto* import_cmd = app.add_subcommand(
        "import", "load a SQL dump into a new data dir (its caches start empty)");
    import_cmd->add_option("file", dump_path, "the dump ('-' for stdin)")->required();
    import_cmd->callback(run([&, this] { return Import(dump_path); }));

    std::string bench_log;
    int bench_passes = 1;
    bool bench_json = false;
    auto* bench = app.add_subcommand(
        "bench",
        "replay your own reads (one URL per line, or an access log) against this data dir, "
        "directly and through folio: tiers, latency percentiles, speed-up");
    bench->add_option("log", bench_log, "the log ('-' for stdin)")->required();
    bench->add_option("--passes", bench_passes, "passes through folio (the first warms it)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    bench->add_flag("--json", bench_json, "print the report as JSON");
    bench->callback(run([&, this] { return Bench(bench_log, bench_passes, bench_json); }));

    app.add_subcommand("stats",
                       "print this process's engine counters and the shared L2 tier's usage "
                       "(a running service's live counters are at GET /v1/stats)")
        ->callback(run([this] { return Stats(); }));

    // What a command read is printed as JSON for scripts, readable on a terminal.
    for (const char* name :
         {"query", "get", "versions", "version", "referrers", "permissions", "stats", "put",
          "patch", "publish", "unpublish", "delete", "restore"}) {
      app.get_subcommand(name)->add_flag("--json", json_output_,
                                         "print JSON (the default when stdout is not a terminal)");
    }
    app.get_subcommand("types")->get_subcommand("list")->add_flag(
        "--json", json_output_, "print JSON (the default when stdout is not a terminal)");
    app.set_version_flag("--version", VersionLine(), "print folio's version and exit");
    if (std::string unknown = UnknownCommand(app, argc, argv); !unknown.empty()) {
      std::vector<std::string> names;
      for (const CLI::App* sub : app.get_subcommands({}))
        names.push_back(sub->get_name());
      std::string hint = ClosestMatch(unknown, names);
      err_ << "folio: unknown command '" << unknown << "'"
           << (hint.empty() ? "" : "; did you mean '" + hint + "'?") << "\n"
           << "Run 'folio --help' for the list of commands.\n";
      return 2;
    }
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      return app.exit(e, out_, err_) == 0 ? 0 : 2;
    }
    if (!command_) return 0;
    output_ = ChooseOutputMode(json_output_, &out_ == &std::cout && ::isatty(STDOUT_FILENO) != 0);
    auto resolved = ResolveConfig({flags_.config_file, settings_.Given()});
    if (!resolved.ok()) return Fail(resolved.status());
    config_ = std::move(*resolved);
    return command_();
  }

 private:
  // One JSON value a command read: as it is (one line) for scripts, or for a person.
  void Emit(const std::string& json) {
    if (output_ == OutputMode::kHuman) {
      out_ << HumanReadable(json);
    } else {
      out_ << json << "\n";
    }
  }

  static void AddQueryFlags(CLI::App* q, QueryFlags& f) {
    q->add_option("--type", f.type, "document type")->required();
    q->add_option("--status", f.status, "published or draft")->capture_default_str();
    q->add_option("--locale", f.locale)->capture_default_str();
    q->add_option(
        "--where", f.where,
        "filter field:op:value (eq ne lt lte gt gte in; in takes a,b,c as over HTTP, \\, for a "
        "comma in a value) or field=value");
    q->add_option("--facet", f.facets, "facet filter field=value, e.g. tags=news");
    q->add_option("--sort", f.sort, "updated_at, created_at, sort_order or a registered field")
        ->capture_default_str();
    q->add_option("--parent", f.parent, "only the children of this root ('' for top level)");
    q->add_option("--include", f.include,
                  "reference fields whose documents to embed, e.g. author,category");
    q->add_option("--order", f.order, "desc or asc")->capture_default_str();
    q->add_option("--limit", f.limit, "documents per page, 1..100")->capture_default_str();
    q->add_option("--cursor", f.cursor, "next_cursor of the previous page");
    q->add_flag("--all", f.all, "walk every page");
    q->add_flag("--explain", f.explain,
                "print SQLite's plan for the listing (its index, no scan) instead of the page");
  }

  int Fail(const Status& s) {
    err_ << "folio: " << s.ToString() << "\n";
    return s.IsInvalidArgument() ? 2 : 1;
  }

  static Status NoDatabase(const std::string& path) {
    return Status::NotFound("no database at '" + path + "': run 'folio init' first");
  }

  std::unique_ptr<Engine> OpenEngine(bool create) {
    const Options options = EngineOptions(config_, create);
    if (!create && !std::filesystem::exists(options.db_path)) {
      Fail(NoDatabase(options.db_path));
      return nullptr;
    }
    auto engine = Engine::Open(options);
    if (!engine.ok()) {
      Fail(engine.status());
      return nullptr;
    }
    return std::move(*engine);
  }

  int Init() {
    auto engine = OpenEngine(/*create=*/true);
    if (!engine) return 1;
    out_ << "folio: database ready at " << engine->options().db_path << "\n";
    return 0;
  }

  int Migrate(bool status_only) {
    Result<std::vector<storage::MigrationInfo>> list = Status::Internal("not read");
    if (status_only) {
      // Opens no engine: opening applies the pending migrations this is asked to show.
      const Options options = EngineOptions(config_, /*create=*/false);
      if (!std::filesystem::exists(options.db_path)) return Fail(NoDatabase(options.db_path));
      list = Engine::ReadMigrationStatus(options);
    } else {
      auto engine = OpenEngine(/*create=*/true);
      if (!engine) return 1;
      list = engine->MigrationStatus();
    }
    if (!list.ok()) return Fail(list.status());
    for (const auto& m : *list) {
      out_ << (m.applied ? "applied  " : "pending  ") << m.filename << "  " << m.checksum
           << (m.applied ? "  " + m.applied_at : "")
           << (m.checksum_matches ? "" : "  CHECKSUM CHANGED") << "\n";
    }
    return 0;
  }

  int TypesAdd(const std::string& id, const std::vector<std::string>& fields,
               const std::vector<std::string>& facets, const std::string& json_arg) {
    storage::TypeDefinition def;
    bool short_form = true;
    if (!json_arg.empty()) {
      auto text = ReadData(json_arg);
      if (!text.ok()) return Fail(text.status());
      auto parsed = storage::ParseTypeJson(*text, &short_form);
      if (!parsed.ok()) return Fail(parsed.status());
      def = std::move(*parsed);
      if (!id.empty() && id != def.id) {
        return Fail(Status::InvalidArgument("id '" + id + "' differs from the JSON's \"id\" '" +
                                            def.id + "'"));
      }
    } else {
      if (id.empty()) return Fail(Status::InvalidArgument("types add needs an id (or --json)"));
      def.id = id;
    }
    for (const auto& f : fields) {
      size_t colon = f.find(':');
      std::string name = f.substr(0, colon);
      std::string kind_name = colon == std::string::npos ? "text" : f.substr(colon + 1);
      auto kind = storage::ParseFieldKind(kind_name);
      if (!kind) {
        return Fail(Status::InvalidArgument("--field '" + f + "': kind '" + kind_name +
                                            "' is not text, number, integer, boolean or date"));
      }
      def.fields[name] = *kind;
    }
    def.facets.insert(def.facets.end(), facets.begin(), facets.end());
    auto engine = OpenEngine(/*create=*/true);
    if (!engine) return 1;
    // A new type in the short form keeps a version per save, as folio always did.
    if (short_form && !engine->GetType(def.id).ok()) def.settings.versioning = true;
    auto registered = engine->RegisterType(def);
    if (!registered.ok()) return Fail(registered.status());
    Emit(storage::TypeJson(*registered));
    return 0;
  }

  int TypesList() {
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    for (const auto& t : engine->ListTypes())
      Emit(storage::TypeJson(t));
    return 0;
  }

  int Seed(SeedOptions options) {
    auto engine = OpenEngine(/*create=*/true);
    if (!engine) return 1;
    options.tenant = config_.tenant;
    ProgressBar bar("seeding", options.count);
    options.on_progress = [&bar](int64_t done) { bar.Update(done); };
    auto written = SeedDocuments(*engine, options);
    if (!written.ok()) return Fail(written.status());
    return 0;
  }

  Result<std::string> ReadData(const std::string& arg) {
    if (arg == "-") {
      return std::string(std::istreambuf_iterator<char>(std::cin), {});
    }
    if (!arg.empty() && arg[0] == '@') {
      std::ifstream in(arg.substr(1), std::ios::binary);
      if (!in) return Status::IOError("cannot read '" + arg.substr(1) + "'");
      return std::string(std::istreambuf_iterator<char>(in), {});
    }
    return arg;
  }

  int PrintWrite(const Result<storage::WriteResult>& r) {
    if (!r.ok()) return Fail(r.status());
    Emit("{\"data\":" + r->document.ToJson() + "}");
    return 0;
  }

  int Put(const std::string& root, const std::string& type, const DocumentFlags& doc, bool merge) {
    auto data = ReadData(doc.data);
    if (!data.ok()) return Fail(data.status());
    storage::DocumentFields fields{doc.slug,       doc.title,    doc.locale, doc.scheduled_at,
                                   doc.expires_at, std::nullopt, doc.parent, doc.sort_order};
    fields.clear_scheduled_at = doc.clear_scheduled_at;
    fields.clear_expires_at = doc.clear_expires_at;
    if (root.empty() && type.empty()) {
      return Fail(Status::InvalidArgument("put without ROOT needs --type"));
    }
    if (!root.empty() && !type.empty()) {
      return Fail(Status::InvalidArgument("--type is for new documents; ROOT keeps its type"));
    }
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    auto writer = WritePrincipal();
    if (!writer.ok()) return Fail(writer.status());
    if (root.empty()) {
      return PrintWrite(
          engine->Write(storage::CreateOp{config_.tenant, type, *data, fields, *writer}));
    }
    if (merge) {
      return PrintWrite(
          engine->Write(storage::PatchOp{config_.tenant, root, *data, fields, *writer}));
    }
    return PrintWrite(
        engine->Write(storage::UpdateOp{config_.tenant, root, *data, fields, *writer}));
  }

  // --as, parsed: unset means an administrator.
  Result<std::optional<storage::Principal>> WritePrincipal() const {
    if (!flags_.as) return std::optional<storage::Principal>();
    auto principal = ParsePrincipalHeader(*flags_.as);
    if (!principal.ok()) return principal.status().WithContext("--as");
    return std::optional<storage::Principal>(std::move(*principal));
  }

  int Lifecycle(const std::string& root, storage::LifecycleAction action) {
    auto writer = WritePrincipal();
    if (!writer.ok()) return Fail(writer.status());
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    return PrintWrite(
        engine->Write(storage::LifecycleOp{config_.tenant, root, action, 0, *writer}));
  }

  // Prints ROOT's permission rules, after replacing them with `rules_json` when it is given.
  int Permissions(const std::string& root, const std::optional<std::string>& rules_json) {
    auto writer = WritePrincipal();
    if (!writer.ok()) return Fail(writer.status());
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    if (rules_json) {
      auto text = ReadData(*rules_json);
      if (!text.ok()) return Fail(text.status());
      auto rules = ParsePermissionRules(*text);
      if (!rules.ok()) return Fail(rules.status());
      Status s = engine->SetPermissions(config_.tenant, root, *rules, *writer);
      if (!s.ok()) return Fail(s);
    }
    auto rules = engine->GetPermissions(config_.tenant, root, *writer);
    if (!rules.ok()) return Fail(rules.status());
    Emit(PermissionRulesJson(*rules));
    return 0;
  }

  int Get(const std::string& root, const std::string& status, const std::string& include) {
    storage::Query axis;
    Status s = ParseStatus(status, axis);
    if (s.ok() && !include.empty()) s = ParseInclude(include, axis);
    if (!s.ok()) return Fail(s);
    if (root.empty()) return Fail(Status::InvalidArgument("get needs ROOT, or --type and --slug"));
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    auto doc = engine->Get(config_.tenant, root, axis.axis, {}, axis.include);
    if (!doc.ok()) return Fail(doc.status());
    Emit("{\"data\":" + std::string(doc->json()) +
         ",\"meta\":{\"cache\":" + CacheMetaJson(doc->tier()) + "}}");
    return 0;
  }

  int GetBySlug(const std::string& root, const std::string& type, const std::string& slug,
                const std::string& locale, const std::string& status, const std::string& include) {
    storage::Query names;
    if (!include.empty()) {
      Status parsed = ParseInclude(include, names);
      if (!parsed.ok()) return Fail(parsed);
    }
    if (!root.empty()) return Fail(Status::InvalidArgument("get takes ROOT or --slug, not both"));
    if (type.empty()) return Fail(Status::InvalidArgument("get --slug needs --type"));
    auto mode = ParseSlugStatus(status);
    if (!mode.ok()) return Fail(mode.status());
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    auto doc = engine->GetBySlug(config_.tenant, type, slug, locale, *mode, {}, names.include);
    if (!doc.ok()) return Fail(doc.status());
    Emit("{\"data\":" + std::string(doc->json()) +
         ",\"meta\":{\"cache\":" + CacheMetaJson(doc->tier()) + "}}");
    return 0;
  }

  int Versions(const std::string& root, int limit, const std::string& cursor) {
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    auto list = engine->ListVersions(config_.tenant, root, limit, cursor);
    if (!list.ok()) return Fail(list.status());
    std::string page = "{\"data\":[";
    for (size_t i = 0; i < list->versions.size(); ++i)
      page.append(i > 0 ? "," : "").append(list->versions[i].ToJson());
    page.append("],\"meta\":{\"count\":").append(std::to_string(list->versions.size()));
    page.append(",\"next_cursor\":")
        .append(list->next_cursor ? nlohmann::json(*list->next_cursor).dump() : "null")
        .append("}}");
    Emit(page);
    return 0;
  }

  int Version(const std::string& root, int64_t number, bool restore) {
    if (number < 1) {
      return Fail(Status::InvalidArgument("version " + std::to_string(number) +
                                          " is not a version number (1 or more)"));
    }
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    if (restore) {
      auto writer = WritePrincipal();
      if (!writer.ok()) return Fail(writer.status());
      storage::LifecycleOp op{config_.tenant, root, storage::LifecycleAction::kRestoreVersion};
      op.version = number;
      op.principal = *writer;
      return PrintWrite(engine->Write(op));
    }
    auto doc = engine->GetVersion(config_.tenant, root, number);
    if (!doc.ok()) return Fail(doc.status());
    Emit("{\"data\":" + doc->ToJson() + "}");
    return 0;
  }

  int Referrers(const std::string& root) {
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    auto list = engine->ListReferrers(config_.tenant, root, 1000);
    if (!list.ok()) return Fail(list.status());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *list) {
      out.push_back(
          {{"root_id", r.root_id},
           {"document_id", r.document_id},
           {"type", r.type},
           {"field", r.field},
           {"ordinal", r.ordinal},
           {"ref_strength", r.strength == storage::RefStrength::kStrong ? "strong" : "weak"},
           {"published", r.published},
           {"current_draft", r.current_draft}});
    }
    Emit(nlohmann::json{{"data", out}, {"meta", {{"count", list->size()}}}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
    return 0;
  }

  Result<storage::Query> BuildQuery(const QueryFlags& f) {
    storage::Query q;
    q.tenant = config_.tenant;
    q.type = f.type;
    q.locale = f.locale;
    q.sort = f.sort;
    q.limit = f.limit;
    q.cursor = f.cursor;
    q.parent = f.parent;
    if (!f.include.empty()) FOLIO_RETURN_IF_ERROR(ParseInclude(f.include, q));
    FOLIO_RETURN_IF_ERROR(ParseStatus(f.status, q));
    FOLIO_RETURN_IF_ERROR(ParseOrder(f.order, q));
    for (const auto& w : f.where)
      FOLIO_RETURN_IF_ERROR(ParseWhere(w, q));
    for (const auto& w : f.facets)
      FOLIO_RETURN_IF_ERROR(ParseFacet(w, q));
    return q;
  }

  // Prints pages one per line, as the HTTP service's body with the tier that answered added
  // (HTTP says it in X-Cache-Status / X-Cache-Source, so its body is the same from every tier):
  // {"data":[…],"meta":{"count":n,"next_cursor":…,"cache":{"hit":…,"source":…}}}
  int WalkPages(Engine& engine, storage::Query q, bool all) {
    for (;;) {
      auto page = engine.Query(q);
      if (!page.ok()) return Fail(page.status());
      Emit(PageJsonWithCacheMeta(*page));
      if (!all || !page->next_cursor()) return 0;
      q.cursor = std::string(*page->next_cursor());
    }
  }

  int Query(const QueryFlags& f) {
    auto q = BuildQuery(f);
    if (!q.ok()) return Fail(q.status());
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    if (f.explain) {
      auto plan = engine->ExplainQuery(*q);
      if (!plan.ok()) return Fail(plan.status());
      for (const auto& line : *plan)
        out_ << line << "\n";
      return 0;
    }
    return WalkPages(*engine, *q, f.all);
  }

  int Demo(int64_t count) {
    auto engine = OpenEngine(/*create=*/true);
    if (!engine) return 1;
    Status seeded = SeedIfEmpty(*engine, count);
    if (!seeded.ok()) return Fail(seeded);
    storage::Query q;
    q.tenant = config_.tenant;
    q.type = SeedTypeIds(1).front();
    q.limit = 10;
    err_ << "folio: walking the published '" << q.type << "' listing of "
         << engine->options().db_path << ", 10 per page\n";
    return WalkPages(*engine, q, /*all=*/true);
  }

  // Seeds demo documents when the store has no document types yet.
  Status SeedIfEmpty(Engine& engine, int64_t count) {
    if (!engine.ListTypes().empty()) return Status::Ok();
    SeedOptions options;
    options.count = count;
    options.tenant = config_.tenant;
    options.body_bytes = 120;
    ProgressBar bar("seeding demo documents", count);
    options.on_progress = [&bar](int64_t done) { bar.Update(done); };
    auto written = SeedDocuments(engine, options);
    return written.ok() ? Status::Ok() : written.status();
  }

  // The curl lines `serve` prints: they name this data dir's tenant and a type it has (a
  // filter and a facet only when the type has them), or register a type first when it has
  // none — so each line works as printed on the data dir being served.
  static std::string TryLines(const std::string& base, const std::string& tenant,
                              const std::vector<storage::TypeDefinition>& types, bool token) {
    const std::string auth = token ? " -H 'Authorization: Bearer <token>'" : "";
    std::string out;
    std::string type = "note";
    std::string data = R"({"title":"Hello"})";
    if (types.empty()) {
      out += "  curl -s" + auth + " -X POST '" + base +
             R"(/v1/types' -d '{"id":"note","fields":{"title":"text"}}')" + "\n";
    } else {
      type = types.front().id;
      data = "{}";
    }
    const std::string listing = base + "/v1/" + tenant + "/types/" + type + "/documents";
    out += "  curl -s" + auth + " -X POST '" + listing + "' -d '{\"data\":" + data + "}'\n";
    out += "  curl -s" + auth + " -X POST '" + base + "/v1/" + tenant +
           "/documents/<root_id>/publish'\n";
    out += "  curl -s '" + listing + "?limit=3'\n";
    std::string narrowed;
    if (!types.empty()) {
      for (const auto& [name, kind] : types.front().fields) {
        if (kind == storage::FieldKind::kInteger || kind == storage::FieldKind::kNumber) {
          narrowed += "&where." + name + ".gte=1";
          break;
        }
      }
      if (!types.front().facets.empty())
        narrowed += "&facet." + types.front().facets.front() + "=news";
    }
    out += "  curl -si '" + listing + "?limit=3" + narrowed + "' | grep -i -e x-cache -e etag\n";
    out += "  curl -s '" + base + "/metrics' | head\n";
    out += "  curl -s '" + base + "/v1/stats'\n";
    return out;
  }

  int Serve(const HttpConfig& config) {
    // The settings table only admits levels spdlog knows.
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    // A server holds a descriptor per connection: take what the hard limit allows before
    // the connection limit is derived from it.
    RaiseFileDescriptorLimit();
    auto engine = OpenEngine(/*create=*/true);
    if (!engine) return 1;
    auto server = HttpServer::Bind(*engine, config);
    if (!server.ok()) return Fail(server.status());
    std::string host;
    uint16_t port = 0;
    (void)ParseListen(config.listen, &host, &port);
    const std::string base = "http://" + host + ":" + std::to_string((*server)->port());
    out_ << "folio: serving " << engine->options().db_path << " on " << base
         << (config.token.empty() ? " (no token: writes are open)" : " (writes need the token)")
         << "\n\ntry:\n"
         << TryLines(base, config_.tenant, engine->ListTypes(), !config.token.empty())
         << "\nCtrl-C stops it gracefully.\n";
    out_.flush();
    (*server)->Run();
    spdlog::info("stopped");
    return 0;
  }

  int Export(const std::string& path) {
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    std::ofstream file;
    if (!path.empty()) {
      file.open(path, std::ios::binary | std::ios::trunc);
      if (!file) return Fail(Status::IOError("cannot write '" + path + "'"));
    }
    std::ostream& out = path.empty() ? out_ : file;
    Status s = engine->ExportSql([&out](std::string_view piece) {
      out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
      return out ? Status::Ok() : Status::IOError("write failed");
    });
    if (!s.ok()) return Fail(s);
    out.flush();
    if (!out) return Fail(Status::IOError("write failed"));
    return 0;
  }

  int Import(const std::string& path) {
    auto script = ReadData(path == "-" ? "-" : "@" + path);
    if (!script.ok()) return Fail(script.status());
    const Options options = EngineOptions(config_, /*create_if_missing=*/false);
    Status s = Engine::ImportSql(options, *script);
    if (!s.ok()) return Fail(s);
    // The new database has a new identity, so even an L2 left in this dir answers nothing.
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    out_ << "folio: imported into " << options.db_path << "\n";
    return 0;
  }

  // `folio bench`: the user's reads, directly (an engine without caches: SQLite's work) and
  // through an engine with this data dir's configured caches.
  int Bench(const std::string& path, int passes, bool json) {
    std::ifstream file;
    if (path != "-") {
      file.open(path);
      if (!file) return Fail(Status::IOError("cannot read '" + path + "'"));
    }
    std::istream& in = path == "-" ? std::cin : file;
    const ReplayLog log = ReadReplayLog(in);
    if (log.reads.empty()) {
      return Fail(Status::InvalidArgument(
          "'" + path + "' holds no read to replay (" + std::to_string(log.lines) +
          " lines: listing and document GETs under /v1/ are replayed, writes are skipped)"));
    }
    auto cached = OpenEngine(/*create=*/false);
    if (!cached) return 1;
    // The direct side: the same database, no L1, no L2 (it must not take the data dir's L2
    // from the cached engine, nor be helped by it).
    Options bare = EngineOptions(config_, /*create_if_missing=*/false);
    bare.l1_capacity_bytes = 0;
    bare.l2_enabled = false;
    auto direct = Engine::Open(bare);
    if (!direct.ok()) return Fail(direct.status());
    const ReplayReport report = Replay(log, **direct, *cached, passes);
    out_ << (json ? ReplayReportJson(log, report) : ReplayReportText(log, report));
    return 0;
  }

  int Stats() {
    auto engine = OpenEngine(/*create=*/false);
    if (!engine) return 1;
    Emit(StatsToJson(engine->Stats()));
    return 0;
  }

  GlobalFlags flags_;
  ConfigFlags settings_;
  Config config_;                 // resolved after parsing, before the command runs
  std::function<int()> command_;  // the command CLI11 picked
  std::ostream& out_;
  std::ostream& err_;
  bool json_output_ = false;               // --json
  OutputMode output_ = OutputMode::kJson;  // chosen once the command line is parsed
};

}  // namespace

int RunFolio(int argc, char** argv, std::ostream& out, std::ostream& err) {
  return Cli(out, err).Run(argc, argv);
}

}  // namespace folio::app
