#include "http/openapi.h"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "build_info.h"
#include "http/http_metrics.h"

namespace folio::app {
namespace {

// ordered_json: the served document keeps the order it is written in, which reads better
// than sorted keys (paths in router order, "type" before "properties").
using Json = nlohmann::ordered_json;

Json Ref(const std::string& where) {
  Json j = Json::object();
  j["$ref"] = where;
  return j;
}
Json Schema(const std::string& name) {
  return Ref("#/components/schemas/" + name);
}
Json Param(const std::string& name) {
  return Ref("#/components/parameters/" + name);
}
Json Header(const std::string& name) {
  return Ref("#/components/headers/" + name);
}

Json Str(const std::string& description = "") {
  Json j = {{"type", "string"}};
  if (!description.empty()) j["description"] = description;
  return j;
}
Json NullableStr(const std::string& description) {
  return {{"type", Json::array({"string", "null"})}, {"description", description}};
}
Json Int(const std::string& description = "") {
  Json j = {{"type", "integer"}};
  if (!description.empty()) j["description"] = description;
  return j;
}
Json NullableInt(const std::string& description) {
  return {{"type", Json::array({"integer", "null"})}, {"description", description}};
}
Json Enum(std::initializer_list<const char*> values, const std::string& description = "") {
  Json j = {{"type", "string"}, {"enum", Json::array()}};
  for (const char* v : values)
    j["enum"].push_back(v);
  if (!description.empty()) j["description"] = description;
  return j;
}
Json ArrayOf(Json items) {
  return {{"type", "array"}, {"items", std::move(items)}};
}
Json Object(Json properties, std::initializer_list<const char*> required = {}) {
  Json j = {{"type", "object"}, {"properties", std::move(properties)}};
  if (required.size() > 0) {
    j["required"] = Json::array();
    for (const char* r : required)
      j["required"].push_back(r);
  }
  return j;
}

Json Parameter(const char* in, const char* name, Json schema, const std::string& description) {
  Json p = {{"name", name}, {"in", in}, {"description", description}};
  if (std::string(in) == "path") p["required"] = true;
  p["schema"] = std::move(schema);
  return p;
}

// Every answer carries X-Request-Id; these are the headers of one answer beside it.
Json Headers(std::initializer_list<const char*> names = {}) {
  Json h = Json::object();
  h["X-Request-Id"] = Header("X-Request-Id");
  for (const char* n : names)
    h[n] = Header(n);
  return h;
}

Json JsonResponse(const std::string& description, Json schema,
                  std::initializer_list<const char*> headers = {}) {
  Json r = {{"description", description}, {"headers", Headers(headers)}};
  r["content"]["application/json"]["schema"] = std::move(schema);
  return r;
}

// The error responses of components.responses, by status.
const char* ErrorResponseName(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 413:
      return "PayloadTooLarge";
    case 503:
      return "Unavailable";
    case 507:
      return "InsufficientStorage";
    default:
      return "UnexpectedError";
  }
}

// An operation: operationId is the route's metrics/access-log name, the tie tests check.
// `errors` are the statuses this route answers itself; `default` covers what any request
// can meet before routing (414, 431, 400 for a malformed request, 500).
Json Operation(Route route, const char* tag, const std::string& summary,
               const std::string& description, Json ok_responses, std::initializer_list<int> errors,
               Json parameters = Json::array()) {
  Json op = {{"operationId", RouteName(route)},
             {"tags", Json::array({tag})},
             {"summary", summary},
             {"description", description}};
  parameters.push_back(Param("X-Request-Id"));
  op["parameters"] = std::move(parameters);
  Json responses = std::move(ok_responses);
  for (int status : errors)
    responses[std::to_string(status)] =
        Ref(std::string("#/components/responses/") + ErrorResponseName(status));
  responses["default"] = Ref("#/components/responses/UnexpectedError");
  op["responses"] = std::move(responses);
  return op;
}

// With a token configured the request needs it; without one, it is open. OpenAPI cannot say
// "when configured", so the scheme's description does.
void NeedsToken(Json& op) {
  op["security"] = Json::array({{{"bearerAuth", Json::array()}}});
}
// Public unless the request asks for drafts: anonymous or with the token.
void TokenOptional(Json& op) {
  op["security"] = Json::array({Json::object(), {{"bearerAuth", Json::array()}}});
}
void NoToken(Json& op) {
  op["security"] = Json::array();
}

// A cached read: its 200 carries an ETag (a strong validator of the body, the same from every
// tier) and If-None-Match naming it is a 304. `coded`: a listing, whose body may also come
// gzip- or br-coded as Accept-Encoding asks, so its answers vary on that header.
void Conditional(Json& op, bool coded) {
  Json& ok_headers = op["responses"]["200"]["headers"];
  ok_headers["ETag"] = Header("ETag");
  if (coded) {
    ok_headers["Vary"] = Header("Vary");
    ok_headers["Content-Encoding"] = Header("Content-Encoding");
  }
  Json not_modified = {
      {"description", "The client's copy (If-None-Match) is current; no body."},
      {"headers", Headers({"ETag", "X-Cache-Status", "X-Cache-Source", "Cache-Control"})}};
  if (coded) not_modified["headers"]["Vary"] = Header("Vary");
  Json responses = Json::object();
  for (auto& [status, response] : op["responses"].items()) {
    responses[status] = std::move(response);
    if (status == "200") responses["304"] = not_modified;
  }
  op["responses"] = std::move(responses);
  op["parameters"].push_back(Param("If-None-Match"));
  if (coded) op["parameters"].push_back(Param("Accept-Encoding"));
}

void Body(Json& op, const std::string& description, Json schema, Json examples) {
  Json body = {{"description", description}, {"required", true}};
  body["content"]["application/json"]["schema"] = std::move(schema);
  body["content"]["application/json"]["examples"] = std::move(examples);
  op["requestBody"] = std::move(body);
}

Json Example(const std::string& summary, Json value) {
  return {{"summary", summary}, {"value", std::move(value)}};
}

// ---- components ------------------------------------------------------------------------------

Json Schemas() {
  Json s = Json::object();
  s["Error"] = Object(
      {{"error",
        Object({{"code",
                 Enum({"bad_request", "unauthorized", "forbidden", "not_found",
                       "method_not_allowed", "conflict", "payload_too_large", "uri_too_long",
                       "header_too_large", "unavailable", "insufficient_storage", "internal"})},
                {"message", Str("What was wrong: the parameter, the field, or the JSON pointer "
                                "and rule of a schema failure.")}},
               {"code", "message"})}},
      {"error"});
  s["Error"]["description"] = "The body of every error answer.";

  s["Document"] =
      Object({{"id", Str("This version's row id (UUID v7).")},
              {"root_id", Str("The document's id across its versions.")},
              {"version", Int()},
              {"type", Str()},
              {"tenant", Str()},
              {"locale", Str()},
              {"status", Enum({"draft", "published", "archived"})},
              {"slug", NullableStr("")},
              {"title", NullableStr("")},
              {"path", NullableStr("")},
              {"parent_root_id", Str("\"\" for a top-level document.")},
              {"sort_order", Int()},
              {"data",
               {{"type", "object"},
                {"description",
                 "Byte for byte as it was written (numbers, key "
                 "order, escapes)."}}},
              {"created_at", Int("Unix seconds.")},
              {"updated_at", Int("Unix seconds.")},
              {"published_at", NullableInt("Unix seconds.")},
              {"scheduled_at", NullableInt("Unix seconds; published reads hide it before then.")},
              {"expires_at", NullableInt("Unix seconds; published reads hide it from then.")},
              {"created_by", NullableStr("The X-Folio-Principal user who created it.")},
              {"updated_by", NullableStr("The X-Folio-Principal user who last wrote it.")},
              {"embedded",
               {{"type", "object"},
                {"description",
                 "With include=: the documents each named reference field points to, "
                 "as the reader may see them."},
                {"additionalProperties", ArrayOf(Schema("Document"))}}}},
             {"id", "root_id", "version", "type", "tenant", "locale", "status", "data"});
  s["DocumentEnvelope"] = Object({{"data", Schema("Document")}}, {"data"});
  s["CacheMeta"] = Object({{"hit", {{"type", "boolean"}}},
                           {"source", Enum({"memory", "kv", "database"},
                                           "The tier that answered, as X-Cache-Source.")}},
                          {"hit", "source"});
  s["Page"] = Object(
      {{"data", ArrayOf(Schema("Document"))},
       {"meta", Object({{"count", Int()},
                        {"next_cursor", NullableStr("Pass as cursor= for the next page; null "
                                                    "on the last page.")},
                        {"cache", Schema("CacheMeta")}},
                       {"count", "next_cursor"})}},
      {"data", "meta"});
  s["VersionPage"] = Object({{"data", ArrayOf(Schema("Document"))},
                             {"meta", Object({{"count", Int()}, {"next_cursor", NullableStr("")}},
                                             {"count", "next_cursor"})}},
                            {"data", "meta"});
  s["Referrer"] = Object({{"root_id", Str("The referring document.")},
                          {"document_id", Str("Its row (version) that holds the reference.")},
                          {"type", Str()},
                          {"field", Str("The reference field.")},
                          {"ordinal", Int()},
                          {"ref_strength", Enum({"strong", "weak"})},
                          {"published", {{"type", "boolean"}}},
                          {"current_draft", {{"type", "boolean"}}}});
  s["ReferrerList"] =
      Object({{"data", ArrayOf(Schema("Referrer"))}, {"meta", Object({{"count", Int()}})}},
             {"data", "meta"});

  // Document bodies: `data` beside the document's own fields; absent fields are kept.
  Json fields = {{"slug", Str("Unique per type, tenant and locale (409 when taken).")},
                 {"title", Str()},
                 {"locale", Str()},
                 {"parent_root_id", Str("The parent document's root id.")},
                 {"sort_order", Int()},
                 {"scheduled_at", NullableInt("Unix seconds; null clears it.")},
                 {"expires_at", NullableInt("Unix seconds, after scheduled_at; null clears it.")}};
  Json create = fields;
  create["data"] = {{"type", "object"},
                    {"description",
                     "Checked against the type's field types and its "
                     "settings.jsonSchema; stored byte for byte."}};
  s["DocumentWrite"] = Object(create, {"data"});
  s["DocumentWrite"]["description"] = "A create (POST) or a new version (PUT).";
  Json patch = fields;
  patch["data"] = {{"type", "object"},
                   {"description",
                    "An RFC 7396 merge patch over the current draft's data: null "
                    "removes a key, objects merge."}};
  s["DocumentPatch"] = Object(patch, {"data"});

  s["QueryableField"] = Object(
      {{"name", Str("[A-Za-z_][A-Za-z0-9_]{0,63}")},
       {"kind", Enum({"scalar", "facet", "reference"})},
       {"type", Enum({"text", "number", "integer", "boolean", "date"}, "Scalars; text if absent.")},
       {"path", Str("\"$.a\" or \"$.a.b\"; \"$.<name>\" if absent.")},
       {"column", Str("The q_* column of a scalar; derived as SonicJS does if absent.")},
       {"refStrength", Enum({"strong", "weak"},
                            "References; weak if absent. A strong reference "
                            "makes deleting its target a 409.")}},
      {"name", "kind"});
  s["QueryableField"]["additionalProperties"] = false;
  Json base_grants = {{"type", "object"},
                      {"description",
                       "Permissions a type grants when a document has no rule of its own: "
                       "\"public\" or a role name to permissions."},
                      {"additionalProperties",
                       ArrayOf(Enum({"read", "create", "update", "delete", "publish", "manage"}))}};
  s["TypeSettings"] =
      Object({{"versioning", {{"type", "boolean"}, {"description", "A new version row per save."}}},
              {"maxVersionsPerRoot", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000000}}},
              {"global",
               {{"type", "boolean"},
                {"description", "Documents live in one pool visible from every tenant."}}},
              {"baseGrants", std::move(base_grants)},
              {"jsonSchema",
               {{"type", Json::array({"object", "boolean"})},
                {"description",
                 "A JSON Schema (draft 3, 4, 6 or 7) every write must leave data "
                 "matching."}}}});
  s["TypeSettings"]["description"] =
      "SonicJS's DocumentTypeSettings; other keys are kept as given.";
  Json names = {{"id", Str("[a-z0-9][a-z0-9_-]{0,63}")},
                {"name", Str("If given, equal to id.")},
                {"displayName", Str()},
                {"display_name", Str()},
                {"description", Str()}};
  Json sonic = names;
  sonic["queryableFields"] = ArrayOf(Schema("QueryableField"));
  sonic["settings"] = Schema("TypeSettings");
  s["TypeRegistrationSonicJS"] = Object(sonic, {"id"});
  s["TypeRegistrationSonicJS"]["description"] =
      "SonicJS's DocumentType. Its keys schema, isAuth, pluginId, source, schema_version and "
      "references are accepted and not kept.";
  Json short_form = names;
  short_form["fields"] = {
      {"type", "object"},
      {"description", "Scalar fields: name to type."},
      {"additionalProperties", Enum({"text", "number", "integer", "boolean", "date"})}};
  short_form["facets"] = ArrayOf(Str());
  s["TypeRegistrationShort"] = Object(short_form, {"id"});
  s["TypeRegistrationShort"]["description"] =
      "folio's short form. A new type given only this way keeps a version per save.";
  s["TypeRegistration"] = {
      {"description",
       "Either form, or both in one body (each short-form entry not in "
       "queryableFields is added to it). Any other key is a 400."},
      {"anyOf", Json::array({Schema("TypeRegistrationSonicJS"), Schema("TypeRegistrationShort")})}};
  s["Type"] = Object({{"id", Str()},
                      {"name", Str()},
                      {"display_name", Str()},
                      {"description", Str()},
                      {"schema_version", Int("Moves each time the stored schema changes.")},
                      {"queryableFields", ArrayOf(Schema("QueryableField"))},
                      {"settings", Schema("TypeSettings")},
                      {"fields", {{"type", "object"}, {"additionalProperties", Str()}}},
                      {"facets", ArrayOf(Str())},
                      {"references", ArrayOf(Str("A reference field's name."))}},
                     {"id", "queryableFields", "settings", "fields", "facets"});
  s["Type"]["description"] = "A registered type in both forms; it registers again as it is.";
  s["TypeEnvelope"] = Object({{"data", Schema("Type")}}, {"data"});
  s["TypeList"] = Object({{"data", ArrayOf(Schema("Type"))}}, {"data"});

  s["PermissionRule"] =
      Object({{"principal_type", Enum({"user", "role", "group", "public", "token"})},
              {"principal_id", Str("Required unless principal_type is public.")},
              {"permission", Enum({"read", "create", "update", "delete", "publish", "manage"})},
              {"effect", Enum({"allow", "deny"}, "allow if absent; deny wins.")}},
             {"principal_type", "permission"});
  s["PermissionRules"] = {
      {"description",
       "The document's rules, replacing all it had: {\"rules\":[…]} or the "
       "bare array."},
      {"oneOf", Json::array({Object({{"rules", ArrayOf(Schema("PermissionRule"))}}, {"rules"}),
                             ArrayOf(Schema("PermissionRule"))})}};
  s["PermissionRulesEnvelope"] = Object(
      {{"data", Object({{"rules", ArrayOf(Schema("PermissionRule"))}}, {"rules"})}}, {"data"});

  s["Health"] = Object({{"status", Enum({"ok"})}}, {"status"});
  Json latency = Object({{"samples", Int()},
                         {"mean_ns", Int()},
                         {"p50_ns_at_most", Int()},
                         {"p99_ns_at_most", Int()}});
  Json tier = Object({{"hits", Int()}, {"misses", Int()}, {"fills", Int()}, {"latency", latency}});
  s["Stats"] = Object({{"tiers", Object({{"memory", tier}, {"kv", tier}, {"database", tier}})},
                       {"coalesced_misses", Int()},
                       {"writes", Int()},
                       {"invalidations", Int()},
                       {"stale_fills", Int()},
                       {"kv_stale", Int()},
                       {"kv_skipped", Int()},
                       {"freshness_resets", Int()},
                       {"external_changes", Int()},
                       {"memory", {{"type", "object"}}},
                       {"kv", {{"type", "object"}}}});
  s["Stats"]["description"] = "Engine counters: per tier, L1 and the shared L2's usage.";
  return s;
}

Json Parameters() {
  Json p = Json::object();
  p["tenant"] = Parameter("path", "tenant", Str(), "The tenant (\"default\" for one-tenant use).");
  p["type"] = Parameter("path", "type", Str(), "A registered type's id.");
  p["typeId"] = Parameter("path", "id", Str(), "A registered type's id.");
  p["root_id"] = Parameter("path", "root_id", Str(), "The document's root id.");
  p["slug"] = Parameter("path", "slug", Str(), "The document's slug.");
  p["version"] = Parameter("path", "n", {{"type", "integer"}, {"minimum", 1}},
                           "A version number (400 if not 1 or more).");
  p["include"] = Parameter("query", "include", Str(),
                           "Reference fields, comma-separated, whose documents are embedded "
                           "under \"embedded\".");
  p["listStatus"] = Parameter("query", "status", Enum({"published", "draft"}),
                              "The axis read; draft needs the token. Default published.");
  p["locale"] = Parameter("query", "locale", Str(), "Only documents of this locale.");
  p["limit"] = Parameter("query", "limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}},
                         "Page size, 1-100.");
  p["cursor"] =
      Parameter("query", "cursor", Str(), "The previous page's next_cursor (keyset pagination).");
  p["sort"] = Parameter("query", "sort", Str(),
                        "updated_at, created_at, sort_order, or a scalar queryable field.");
  p["order"] = Parameter("query", "order", Enum({"asc", "desc"}), "Default desc.");
  p["parent"] = Parameter("query", "parent", Str(),
                          "Only children of this root id; empty (parent=) for top-level ones.");
  p["slugStatus"] =
      Parameter("query", "status", Enum({"published", "draft", "any"}),
                "draft and any need the token. Default: published without the token; with it, "
                "the published row else the current draft.");
  p["slugLocale"] = Parameter("query", "locale", Str(), "Default \"default\".");
  p["versionsLimit"] =
      Parameter("query", "limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}},
                "Page size, 1-100; default 20.");
  p["versionsCursor"] = Parameter("query", "cursor", Str(), "The previous page's next_cursor.");
  p["X-Folio-Principal"] = Parameter(
      "header", "X-Folio-Principal", Str(),
      "user:u1,role:editor,group:g1 — the end user a token-holding backend acts for; honoured "
      "only with the token. On reads, the reader (per-document read rules); on writes, the "
      "writer (the document's rules and the type's baseGrants decide, deny wins; a refusal is "
      "403 and writes nothing). Without it the token holder is an administrator. Malformed: "
      "400.");
  p["If-None-Match"] =
      Parameter("header", "If-None-Match", Str(),
                "An ETag this route sent (or *): 304 without a body while it still names the "
                "content, in any coding.");
  p["Accept-Encoding"] = Parameter("header", "Accept-Encoding", Str(),
                                   "br and gzip are offered for pages of 512 bytes or more.");
  p["X-Request-Id"] =
      Parameter("header", "X-Request-Id", Str(),
                "Echoed back and logged when 1-128 visible ASCII characters; otherwise folio "
                "makes one.");
  return p;
}

Json HeadersComponent() {
  Json h = Json::object();
  h["X-Request-Id"] = {{"description", "The client's X-Request-Id, or one folio made."},
                       {"schema", Str()}};
  h["X-Cache-Status"] = {{"description", "HIT when a cache tier answered, MISS for SQLite."},
                         {"schema", Enum({"HIT", "MISS"})}};
  h["X-Cache-Source"] = {{"description", "The tier that answered."},
                         {"schema", Enum({"memory", "kv", "database"})}};
  h["Cache-Control"] = {{"description",
                         "public, max-age=0, must-revalidate for an anonymous published read; "
                         "private, no-store otherwise."},
                        {"schema", Str()}};
  h["ETag"] = {{"description",
                "A strong validator of the body: \"<tag>\", or "
                "\"<tag>-gzip\" / \"<tag>-br\" for a coded one."},
               {"schema", Str()}};
  h["Vary"] = {{"description", "Accept-Encoding (and Origin with --cors)."}, {"schema", Str()}};
  h["Content-Encoding"] = {{"description", "When the page is sent coded."},
                           {"schema", Enum({"gzip", "br"})}};
  h["Location"] = {{"description", "/v1/{tenant}/documents/{root_id} of the new document."},
                   {"schema", Str()}};
  h["WWW-Authenticate"] = {{"description", "Bearer realm=\"folio\""}, {"schema", Str()}};
  return h;
}

Json ResponsesComponent() {
  Json r = Json::object();
  auto error = [](const std::string& description, std::initializer_list<const char*> headers = {}) {
    return JsonResponse(description, Schema("Error"), headers);
  };
  r["BadRequest"] = error(
      "bad_request: a bad or unknown parameter, bad JSON, a value that does not fit its field's "
      "type, data that does not match the type's JSON Schema, a malformed X-Folio-Principal.");
  r["Unauthorized"] = error(
      "unauthorized: a token is configured and this request needs "
      "Authorization: Bearer <token>.",
      {"WWW-Authenticate"});
  r["Forbidden"] = error("forbidden: the X-Folio-Principal may not make this write.");
  r["NotFound"] = error("not_found: no such type, document or version.");
  r["Conflict"] = error(
      "conflict: a slug taken, live documents that reference it strongly (named), a field "
      "re-registered differently.");
  r["PayloadTooLarge"] = error("payload_too_large: the body or the data is over the limit.");
  r["Unavailable"] = error("unavailable: the database is busy, or over --max-connections.");
  r["InsufficientStorage"] = error("insufficient_storage: the disk is full; nothing was written.");
  r["UnexpectedError"] = error(
      "An error any request can meet: 400 for a malformed request or target, 413, 414, "
      "431 over the limits, 503 over --max-connections, 500 for a bug (logged).");
  return r;
}

// ---- paths -----------------------------------------------------------------------------------

Json Paths() {
  Json paths = Json::object();
  {
    Json op =
        Operation(Route::kHealth, "operations", "Health", "200 while the process serves requests.",
                  {{"200", JsonResponse("Serving.", Schema("Health"))}}, {});
    NoToken(op);
    paths["/healthz"]["get"] = std::move(op);
  }
  {
    Json ok = {{"description",
                "Prometheus text exposition: tiers, latency histograms, HTTP "
                "requests by route (the operationIds here) and status."},
               {"headers", Headers()}};
    ok["content"]["text/plain"]["schema"] = Str();
    Json op = Operation(Route::kMetrics, "operations", "Prometheus metrics", "Public.",
                        {{"200", std::move(ok)}}, {});
    NoToken(op);
    paths["/metrics"]["get"] = std::move(op);
  }
  {
    Json op = Operation(Route::kStats, "operations", "Engine counters", "Public.",
                        {{"200", JsonResponse("The counters.", Schema("Stats"))}}, {});
    NoToken(op);
    paths["/v1/stats"]["get"] = std::move(op);
  }
  {
    Json ok = {{"description", "This document."}, {"headers", Headers()}};
    ok["content"]["application/json"]["schema"] = {{"type", "object"}};
    Json op = Operation(Route::kOpenApi, "operations", "This OpenAPI description",
                        "Public. Each operationId is the route name in the access log and in "
                        "folio_http_requests_total.",
                        {{"200", std::move(ok)}}, {});
    NoToken(op);
    paths["/v1/openapi.json"]["get"] = std::move(op);
  }
  {
    Json list = Operation(Route::kListTypes, "types", "The registered types",
                          "Public. Each type in both forms.",
                          {{"200", JsonResponse("The types.", Schema("TypeList"))}}, {});
    NoToken(list);
    Json reg = Operation(
        Route::kRegisterType, "types", "Register a type",
        "Registers a type, or changes a registered one (adding fields and settings; a field "
        "given again differently is a 409). Types are shared by all tenants.",
        {{"200", JsonResponse("The type as registered.", Schema("TypeEnvelope"))}},
        {400, 401, 409, 413, 503, 507});
    NeedsToken(reg);
    Body(reg, "SonicJS's DocumentType, or folio's short form.", Schema("TypeRegistration"),
         {{"sonicjs",
           Example("SonicJS's format",
                   {{"id", "blog-post"},
                    {"queryableFields",
                     Json::array(
                         {{{"name", "views"}, {"kind", "scalar"}, {"type", "integer"}},
                          {{"name", "tags"}, {"kind", "facet"}},
                          {{"name", "author"}, {"kind", "reference"}, {"refStrength", "strong"}}})},
                    {"settings", {{"versioning", true}}}})},
          {"short",
           Example("folio's short form", {{"id", "post"},
                                          {"fields", {{"title", "text"}, {"views", "integer"}}},
                                          {"facets", Json::array({"tags"})}})}});
    paths["/v1/types"]["get"] = std::move(list);
    paths["/v1/types"]["post"] = std::move(reg);
  }
  {
    Json op = Operation(Route::kGetType, "types", "One type", "Public.",
                        {{"200", JsonResponse("The type.", Schema("TypeEnvelope"))}}, {404},
                        Json::array({Param("typeId")}));
    NoToken(op);
    paths["/v1/types/{id}"]["get"] = std::move(op);
  }

  {
    Json list = Operation(
        Route::kListDocuments, "documents", "A page of a listing",
        "Keyset-paginated, answered by the first cache tier that holds the page (memory, the "
        "shared LMDB tier, SQLite). Public for published documents; status=draft needs the "
        "token. Any parameter not named here is a 400.\n\n"
        "Two parameter families OpenAPI cannot declare by name:\n"
        "- `where.{field}[.{op}]={value}`: a filter on a scalar queryable field; op is one of "
        "eq (the default), ne, lt, lte, gt, gte, in (in takes a,b,c; \\, is a comma inside a "
        "value). "
        "Repeatable, ANDed.\n"
        "- `facet.{key}={value}`: documents whose facet field key holds value. Repeatable, "
        "ANDed.\n\n"
        "Example: `?where.views.gte=10&facet.tags=news&sort=views&order=asc&limit=20`.",
        {{"200", JsonResponse("A page; meta.next_cursor is null on the last page.", Schema("Page"),
                              {"X-Cache-Status", "X-Cache-Source", "Cache-Control"})}},
        {400, 401, 404, 503},
        Json::array({Param("tenant"), Param("type"), Param("listStatus"), Param("locale"),
                     Param("limit"), Param("cursor"), Param("sort"), Param("order"),
                     Param("include"), Param("parent"), Param("X-Folio-Principal")}));
    TokenOptional(list);
    Conditional(list, /*coded=*/true);
    Json create =
        Operation(Route::kCreateDocument, "documents", "Create a document",
                  "A new document (a draft; publish it to make it public).",
                  {{"201", JsonResponse("Created.", Schema("DocumentEnvelope"), {"Location"})}},
                  {400, 401, 403, 404, 409, 413, 503, 507},
                  Json::array({Param("tenant"), Param("type"), Param("X-Folio-Principal")}));
    NeedsToken(create);
    Body(create, "The data and the document's fields.", Schema("DocumentWrite"),
         {{"create", Example("A post", {{"data",
                                         {{"title", "Hello, world"},
                                          {"views", 3},
                                          {"tags", Json::array({"news", "folio"})}}},
                                        {"slug", "hello-world"},
                                        {"title", "Hello, world"}})}});
    paths["/v1/{tenant}/types/{type}/documents"]["get"] = std::move(list);
    paths["/v1/{tenant}/types/{type}/documents"]["post"] = std::move(create);
  }
  {
    Json op =
        Operation(Route::kGetBySlug, "documents", "One document by slug",
                  "Public for the published row; status=draft or any needs the token.",
                  {{"200", JsonResponse("The document.", Schema("DocumentEnvelope"),
                                        {"X-Cache-Status", "X-Cache-Source", "Cache-Control"})}},
                  {400, 401, 404, 503},
                  Json::array({Param("tenant"), Param("type"), Param("slug"), Param("slugLocale"),
                               Param("slugStatus"), Param("include"), Param("X-Folio-Principal")}));
    TokenOptional(op);
    Conditional(op, /*coded=*/false);
    paths["/v1/{tenant}/types/{type}/documents/by-slug/{slug}"]["get"] = std::move(op);
  }
  {
    const std::string doc = "/v1/{tenant}/documents/{root_id}";
    Json get_status = Parameter("query", "status", Enum({"published", "draft"}),
                                "The axis read; draft (the current draft) needs the token. "
                                "Default published.");
    Json get =
        Operation(Route::kGetDocument, "documents", "One document",
                  "Public for the published row; status=draft needs the token.",
                  {{"200", JsonResponse("The document.", Schema("DocumentEnvelope"),
                                        {"X-Cache-Status", "X-Cache-Source", "Cache-Control"})}},
                  {400, 401, 404, 503},
                  Json::array({Param("tenant"), Param("root_id"), get_status, Param("include"),
                               Param("X-Folio-Principal")}));
    TokenOptional(get);
    Conditional(get, /*coded=*/false);
    const std::initializer_list<int> kWriteErrors = {400, 401, 403, 404, 409, 413, 503, 507};
    Json put = Operation(
        Route::kReplaceDocument, "documents", "Write a new version",
        "Replaces the current draft's data (a new version when the type keeps "
        "versions).",
        {{"200", JsonResponse("The new current draft.", Schema("DocumentEnvelope"))}}, kWriteErrors,
        Json::array({Param("tenant"), Param("root_id"), Param("X-Folio-Principal")}));
    NeedsToken(put);
    Body(put, "The new data and fields to change.", Schema("DocumentWrite"),
         {{"replace", Example("New data", {{"data", {{"title", "Hello again"}, {"views", 4}}}})}});
    Json patch = Operation(
        Route::kPatchDocument, "documents", "Merge-patch the current draft",
        "RFC 7396 merge patch of data over the current draft's data.",
        {{"200", JsonResponse("The new current draft.", Schema("DocumentEnvelope"))}}, kWriteErrors,
        Json::array({Param("tenant"), Param("root_id"), Param("X-Folio-Principal")}));
    NeedsToken(patch);
    Body(patch, "The patch and fields to change.", Schema("DocumentPatch"),
         {{"patch", Example("Change one key", {{"data", {{"views", 5}}}})}});
    Json del = Operation(
        Route::kDeleteDocument, "documents", "Delete a document",
        "Soft delete (restore undoes it). Live documents that reference it strongly make it a 409 "
        "naming them.",
        {{"204", {{"description", "Deleted."}, {"headers", Headers()}}}},
        {400, 401, 403, 404, 409, 503, 507},
        Json::array({Param("tenant"), Param("root_id"), Param("X-Folio-Principal")}));
    NeedsToken(del);
    paths[doc]["get"] = std::move(get);
    paths[doc]["put"] = std::move(put);
    paths[doc]["patch"] = std::move(patch);
    paths[doc]["delete"] = std::move(del);

    struct Action {
      Route route;
      const char* name;
      const char* summary;
    };
    for (const Action& a : {Action{Route::kPublish, "publish", "Publish the current draft"},
                            Action{Route::kUnpublish, "unpublish", "Unpublish"},
                            Action{Route::kRestore, "restore", "Restore a deleted document"}}) {
      Json op = Operation(
          a.route, "documents", a.summary, "No body.",
          {{"200", JsonResponse("The document after the change.", Schema("DocumentEnvelope"))}},
          {400, 401, 403, 404, 409, 503, 507},
          Json::array({Param("tenant"), Param("root_id"), Param("X-Folio-Principal")}));
      NeedsToken(op);
      paths[doc + "/" + a.name]["post"] = std::move(op);
    }

    Json versions = Operation(Route::kListVersions, "versions", "A document's versions",
                              "Newest first. Needs the token (history shows drafts).",
                              {{"200", JsonResponse("A page of versions.", Schema("VersionPage"))}},
                              {400, 401, 503},
                              Json::array({Param("tenant"), Param("root_id"),
                                           Param("versionsLimit"), Param("versionsCursor")}));
    NeedsToken(versions);
    paths[doc + "/versions"]["get"] = std::move(versions);
    Json version = Operation(Route::kGetVersion, "versions", "One version",
                             "Needs the token. Takes no query parameters.",
                             {{"200", JsonResponse("The version.", Schema("DocumentEnvelope"))}},
                             {400, 401, 404, 503},
                             Json::array({Param("tenant"), Param("root_id"), Param("version")}));
    NeedsToken(version);
    paths[doc + "/versions/{n}"]["get"] = std::move(version);
    Json restore = Operation(
        Route::kRestoreVersion, "versions", "A new current draft from version n", "No body.",
        {{"200", JsonResponse("The new current draft.", Schema("DocumentEnvelope"))}},
        {400, 401, 403, 404, 409, 503, 507},
        Json::array(
            {Param("tenant"), Param("root_id"), Param("version"), Param("X-Folio-Principal")}));
    NeedsToken(restore);
    paths[doc + "/versions/{n}/restore"]["post"] = std::move(restore);

    Json referrers =
        Operation(Route::kListReferrers, "documents", "The live documents that reference it",
                  "Needs the token. Takes no query parameters; at most 1000.",
                  {{"200", JsonResponse("The referrers.", Schema("ReferrerList"))}},
                  {400, 401, 503}, Json::array({Param("tenant"), Param("root_id")}));
    NeedsToken(referrers);
    paths[doc + "/referrers"]["get"] = std::move(referrers);

    Json get_rules =
        Operation(Route::kGetPermissions, "permissions", "The document's permission rules",
                  "Needs the token; with X-Folio-Principal, that principal needs manage.",
                  {{"200", JsonResponse("The rules.", Schema("PermissionRulesEnvelope"))}},
                  {400, 401, 403, 404, 503},
                  Json::array({Param("tenant"), Param("root_id"), Param("X-Folio-Principal")}));
    NeedsToken(get_rules);
    Json set_rules = Operation(
        Route::kSetPermissions, "permissions", "Replace the document's permission rules",
        "Needs the token; with X-Folio-Principal, that principal needs manage. Read rules "
        "restrict who sees the document; write rules who may change it (deny wins).",
        {{"200", JsonResponse("The rules as stored.", Schema("PermissionRulesEnvelope"))}},
        {400, 401, 403, 404, 413, 503, 507},
        Json::array({Param("tenant"), Param("root_id"), Param("X-Folio-Principal")}));
    NeedsToken(set_rules);
    Body(set_rules, "The rules.", Schema("PermissionRules"),
         {{"rules",
           Example("Editors may read it", {{"rules", Json::array({{{"principal_type", "role"},
                                                                   {"principal_id", "editor"},
                                                                   {"permission", "read"},
                                                                   {"effect", "allow"}}})}})}});
    paths[doc + "/permissions"]["get"] = std::move(get_rules);
    paths[doc + "/permissions"]["put"] = std::move(set_rules);
  }
  return paths;
}

std::string Build() {
  Json doc = Json::object();
  doc["openapi"] = "3.1.0";
  doc["info"] = {
      {"title", "folio"},
      {"version", std::string(FolioVersion())},
      {"summary", "A caching query engine for SonicJS v3 documents in SQLite."},
      {"description",
       "The HTTP API of `folio serve` (docs/http.md). Conventions every route shares:\n"
       "- HEAD answers as GET without the body; OPTIONS is 204 with Allow; a method a route "
       "does not serve is 405 with Allow.\n"
       "- Every answer carries X-Request-Id.\n"
       "- With --cors, answers to allowed origins carry Access-Control-Allow-Origin and "
       "preflights are answered with the route's methods.\n"
       "- Errors are {\"error\":{\"code\",\"message\"}}; a path no route serves is 404 "
       "not_found \"no route for …\".\n"
       "- operationId is the route's name in the access log and in "
       "folio_http_requests_total."}};
  doc["tags"] = Json::array({{{"name", "documents"}},
                             {{"name", "versions"}},
                             {{"name", "permissions"}},
                             {{"name", "types"}},
                             {{"name", "operations"}}});
  doc["paths"] = Paths();
  Json components = Json::object();
  components["schemas"] = Schemas();
  components["parameters"] = Parameters();
  components["headers"] = HeadersComponent();
  components["responses"] = ResponsesComponent();
  components["securitySchemes"]["bearerAuth"] = {
      {"type", "http"},
      {"scheme", "bearer"},
      {"description",
       "Only when the server has a token (--token, FOLIO_TOKEN or the config file): writes, "
       "type registration, permission rules, versions, referrers and draft reads need it; a "
       "missing or wrong one is 401 with WWW-Authenticate. Without a token configured every "
       "request is allowed as an administrator."}};
  doc["components"] = std::move(components);
  return doc.dump(2);
}

}  // namespace

std::string_view OpenApiJson() {
  static const std::string kDocument = Build();
  return kDocument;
}

}  // namespace folio::app
