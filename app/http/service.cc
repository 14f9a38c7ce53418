#include "http/service.h"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/asio/bind_executor.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/version.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "folio/base/text_checks.h"
#include "folio/storage/document_store.h"
#include "folio/storage/exact_json.h"
#include "folio/storage/type_format.h"
#include "http/content_coding.h"
#include "http/openapi.h"
#include "http/page_body.h"
#include "http/principal_header.h"
#include "http/request_target.h"
#include "permission_rules.h"
#include "query_args.h"
#include "stats_json.h"

namespace folio::app {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

unsigned HttpStatusFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kConflict:
      return 409;
    case Status::Code::kTooLarge:
      return 413;
    case Status::Code::kPermissionDenied:
      return 403;
    case Status::Code::kBusy:
    case Status::Code::kUnavailable:
      return 503;
    case Status::Code::kNoSpace:
      return 507;
    default:
      return 500;
  }
}

const char* ErrorCode(unsigned status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 431:
      return "header_too_large";
    case 503:
      return "unavailable";
    case 507:
      return "insufficient_storage";
    default:
      return "internal";
  }
}

// Compares in time independent of where the strings differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    diff |= static_cast<unsigned char>(b[i] ^ (i < a.size() ? a[i] : 0));
  }
  return diff == 0;
}

constexpr std::string_view kPrincipalHeader = "X-Folio-Principal";

// The request target for a log line: its bytes as they came, with anything that is not
// printable ASCII escaped, so a hostile target cannot forge log lines or break a log reader.
std::string SafeForLog(std::string_view text) {
  std::string out;
  out.reserve(std::min<size_t>(text.size(), 512));
  for (const char c : text.substr(0, 512)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// `text` as one URL path segment: unreserved characters (RFC 3986 §2.3) as they are, every
// other byte percent-encoded.
std::string PercentEncodeSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The document fields a create/put/patch body may carry beside data.
Result<storage::DocumentFields> ParseFields(const json& body) {
  storage::DocumentFields f;
  auto text = [&](const char* key, std::optional<std::string>& out) -> Status {
    if (!body.contains(key) || body[key].is_null()) return Status::Ok();
    if (!body[key].is_string())
      return Status::InvalidArgument(std::string(key) + " must be a string");
    out = body[key].get<std::string>();
    return Status::Ok();
  };
  auto seconds = [&](const char* key, std::optional<int64_t>& out) -> Status {
    if (!body.contains(key) || body[key].is_null()) return Status::Ok();
    if (!body[key].is_number_integer()) {
      return Status::InvalidArgument(std::string(key) + " must be integer seconds");
    }
    out = body[key].get<int64_t>();
    return Status::Ok();
  };
  FOLIO_RETURN_IF_ERROR(text("slug", f.slug));
  FOLIO_RETURN_IF_ERROR(text("title", f.title));
  FOLIO_RETURN_IF_ERROR(text("locale", f.locale));
  FOLIO_RETURN_IF_ERROR(seconds("scheduled_at", f.scheduled_at));
  FOLIO_RETURN_IF_ERROR(seconds("expires_at", f.expires_at));
  // null clears a schedule field; an absent key keeps it.
  f.clear_scheduled_at = body.contains("scheduled_at") && body["scheduled_at"].is_null();
  f.clear_expires_at = body.contains("expires_at") && body["expires_at"].is_null();
  FOLIO_RETURN_IF_ERROR(text("parent_root_id", f.parent_root_id));
  if (body.contains("sort_order") && !body["sort_order"].is_null()) {
    if (!body["sort_order"].is_number_integer()) {
      return Status::InvalidArgument("sort_order must be an integer");
    }
    f.sort_order = body["sort_order"].get<int64_t>();
  }
  return f;
}

}  // namespace

// One request in flight: its parsed parts, where to answer, and how.
class Service::Call : public std::enable_shared_from_this<Service::Call> {
 public:
  Call(Service& service, HttpRequest request, boost::asio::any_io_executor executor,
       std::function<void(HttpReply)> done)
      : service_(service),
        engine_(service.engine_),
        request_(std::move(request)),
        executor_(std::move(executor)),
        done_(std::move(done)) {}

  // Runs `fn`, a step of this call; an exception out of it (a bug, or a library that throws
  // on input the edge checks missed) is logged and answered 500, never let out of the request.
  template <typename Fn>
  void Guarded(Fn&& fn) noexcept {
    try {
      fn();
      return;
    } catch (const std::exception& e) {
      spdlog::error(
          "request {} {} failed: {}", std::string(request_.method_string()),
          SafeForLog(std::string_view(request_.target().data(), request_.target().size())),
          e.what());
    } catch (...) {
      spdlog::error(
          "request {} {} failed: unknown exception", std::string(request_.method_string()),
          SafeForLog(std::string_view(request_.target().data(), request_.target().size())));
    }
    try {
      if (!replied_) Error(500, "internal error; the server logged it");
    } catch (...) {
      // Nothing more can be done for this request; its connection times out.
    }
  }

  void Run() {
    // HEAD is answered as GET is, then sent without its body (Reply) — its errors too, or the
    // body of an early 400 would be read as the next response on a keep-alive connection.
    http::verb verb = request_.method();
    if (verb == http::verb::head) {
      head_ = true;
      verb = http::verb::get;
    }
    if (request_.count(http::field::authorization) > 1) {
      return Error(400, "more than one Authorization header");
    }
    if (request_.count(kPrincipalHeader) > 1) {
      return Error(400, "more than one X-Folio-Principal header");
    }
    auto target =
        ParseRequestTarget(std::string_view(request_.target().data(), request_.target().size()));
    if (!target.ok()) return Error(400, target.status().message());
    target_ = std::move(*target);
    const auto& seg = target_.segments;
    authorized_ = Authorized();

    if (seg.size() == 1 && seg[0] == "healthz")
      return OnlyVerb(Route::kHealth, verb, http::verb::get, [&] { Health(); });
    if (seg.size() == 1 && seg[0] == "metrics")
      return OnlyVerb(Route::kMetrics, verb, http::verb::get, [&] { Metrics(); });
    if (seg.empty() || seg[0] != "v1") return NotFound();
    if (seg.size() == 2 && seg[1] == "stats")
      return OnlyVerb(Route::kStats, verb, http::verb::get, [&] { Stats(); });
    if (seg.size() == 2 && seg[1] == "openapi.json")
      return OnlyVerb(Route::kOpenApi, verb, http::verb::get, [&] { OpenApi(); });
    if (seg.size() == 2 && seg[1] == "types") {
      if (verb == http::verb::get) return Enter(Route::kListTypes, [&] { ListTypes(); });
      if (verb == http::verb::post) return Enter(Route::kRegisterType, [&] { RegisterType(); });
      return OtherVerb(Route::kRegisterType, verb, "GET, HEAD, POST");
    }
    if (seg.size() == 3 && seg[1] == "types") {
      type_ = seg[2];
      return OnlyVerb(Route::kGetType, verb, http::verb::get, [&] { GetType(); });
    }
    if (seg.size() < 3) return NotFound();
    tenant_ = seg[1];
    if (seg.size() == 7 && seg[2] == "types" && seg[4] == "documents" && seg[5] == "by-slug") {
      type_ = seg[3];
      slug_ = seg[6];
      return OnlyVerb(Route::kGetBySlug, verb, http::verb::get, [&] { GetBySlug(); });
    }
    if (seg.size() == 5 && seg[2] == "types" && seg[4] == "documents") {
      type_ = seg[3];
      if (verb == http::verb::get) return Enter(Route::kListDocuments, [&] { List(); });
      if (verb == http::verb::post) return Enter(Route::kCreateDocument, [&] { Create(); });
      return OtherVerb(Route::kListDocuments, verb, "GET, HEAD, POST");
    }
    if (seg[2] != "documents" || seg.size() < 4) return NotFound();
    root_id_ = seg[3];
    if (seg.size() == 4) {
      switch (verb) {
        case http::verb::get:
          return Enter(Route::kGetDocument, [&] { Get(); });
        case http::verb::put:
          return Enter(Route::kReplaceDocument, [&] { Replace(false); });
        case http::verb::patch:
          return Enter(Route::kPatchDocument, [&] { Replace(true); });
        case http::verb::delete_:
          return Enter(Route::kDeleteDocument,
                       [&] { Lifecycle(storage::LifecycleAction::kDelete); });
        default:
          return OtherVerb(Route::kGetDocument, verb, "GET, HEAD, PUT, PATCH, DELETE");
      }
    }
    if (seg.size() == 5) {
      const std::string& action = seg[4];
      if (action == "publish")
        return OnlyVerb(Route::kPublish, verb, http::verb::post,
                        [&] { Lifecycle(storage::LifecycleAction::kPublish); });
      if (action == "unpublish")
        return OnlyVerb(Route::kUnpublish, verb, http::verb::post,
                        [&] { Lifecycle(storage::LifecycleAction::kUnpublish); });
      if (action == "restore")
        return OnlyVerb(Route::kRestore, verb, http::verb::post,
                        [&] { Lifecycle(storage::LifecycleAction::kRestore); });
      if (action == "versions")
        return OnlyVerb(Route::kListVersions, verb, http::verb::get, [&] { ListVersions(); });
      if (action == "referrers")
        return OnlyVerb(Route::kListReferrers, verb, http::verb::get, [&] { ListReferrers(); });
      if (action == "permissions") {
        if (verb == http::verb::get)
          return Enter(Route::kGetPermissions, [&] { GetPermissions(); });
        if (verb == http::verb::put)
          return Enter(Route::kSetPermissions, [&] { SetPermissions(); });
        return OtherVerb(Route::kGetPermissions, verb, "GET, HEAD, PUT");
      }
    }
    if (seg.size() >= 6 && seg.size() <= 7 && seg[4] == "versions") {
      auto version = ParseVersionNumber(seg[5]);
      if (!version.ok()) return Fail(version.status());
      version_ = *version;
      if (seg.size() == 6)
        return OnlyVerb(Route::kGetVersion, verb, http::verb::get, [&] { GetVersion(); });
      if (seg[6] == "restore")
        return OnlyVerb(Route::kRestoreVersion, verb, http::verb::post, [&] {
          if (!RequireToken()) return;
          storage::LifecycleOp op{tenant_, root_id_, storage::LifecycleAction::kRestoreVersion};
          op.version = version_;
          WriteDocument(std::move(op), 200);
        });
    }
    NotFound();
  }

 private:
  template <typename Fn>
  void OnlyVerb(folio::app::Route route, http::verb verb, http::verb allowed, Fn fn) {
    if (verb != allowed) {
      return OtherVerb(
          route, verb,
          allowed == http::verb::get ? "GET, HEAD" : std::string(http::to_string(allowed)));
    }
    Enter(route, fn);
  }

  // A method the route does not serve: OPTIONS is answered (with CORS preflight when it is
  // one), anything else is 405 with the methods it does serve.
  void OtherVerb(folio::app::Route route, http::verb verb, const std::string& allowed) {
    route_ = route;
    if (verb == http::verb::options) return Options(allowed);
    HttpReply reply = ErrorReply(405,
                                 std::string(request_.method_string()) + " is not allowed on " +
                                     std::string(request_.target()) + "; allowed: " + allowed,
                                 request_.version(), request_.keep_alive(), route_);
    reply.message->fields().set(http::field::allow, allowed);
    Reply(std::move(reply));
  }

  // OPTIONS: 204 with Allow; for a CORS preflight from an allowed origin, the methods and
  // headers a browser may use, cached by it for ten minutes. No token needed: browsers send
  // none on a preflight.
  void Options(const std::string& allowed) {
    auto res = MakeResponse<http::empty_body>(204);
    res.set(http::field::allow, allowed + ", OPTIONS");
    if (AllowedOrigin() && request_.count(http::field::access_control_request_method) > 0) {
      res.set(http::field::access_control_allow_methods, allowed + ", OPTIONS");
      res.set(http::field::access_control_allow_headers,
              "Authorization, Content-Type, If-None-Match, X-Folio-Principal, X-Request-Id");
      res.set(http::field::access_control_max_age, "600");
    }
    Send(std::move(res));
  }

  // The request's Origin when --cors allows it ("*" allows any), else nullopt.
  std::optional<std::string> AllowedOrigin() const {
    const auto& origins = service_.config_.cors_origins;
    if (origins.empty()) return std::nullopt;
    auto it = request_.find(http::field::origin);
    if (it == request_.end()) return std::nullopt;
    std::string origin(it->value());
    for (const std::string& allowed : origins) {
      if (allowed == "*" || allowed == origin) return origin;
    }
    return std::nullopt;
  }
  template <typename Fn>
  void Enter(folio::app::Route route, Fn fn) {
    route_ = route;
    fn();
  }

  // "Bearer <token>": the scheme is case-insensitive and may be followed by several spaces
  // (RFC 9110 §11.1, §11.6.2).
  bool Authorized() const {
    if (service_.config_.token.empty()) return true;
    auto it = request_.find(http::field::authorization);
    if (it == request_.end()) return false;
    std::string_view value(it->value().data(), it->value().size());
    constexpr std::string_view kBearer = "bearer";
    if (value.size() <= kBearer.size() || !boost::beast::iequals(value.substr(0, 6), kBearer) ||
        value[kBearer.size()] != ' ') {
      return false;
    }
    value.remove_prefix(kBearer.size());
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    return ConstantTimeEquals(value, service_.config_.token);
  }

  // Writes, type registration, permission rules and drafts need the token when one is set.
  bool RequireToken() {
    if (authorized_) return true;
    HttpReply reply = ErrorReply(401, "this request needs Authorization: Bearer <token>",
                                 request_.version(), request_.keep_alive(), route_);
    // RFC 9110 §11.6.1: a 401 names the scheme that would do.
    reply.message->fields().set(http::field::www_authenticate, "Bearer realm=\"folio\"");
    Reply(std::move(reply));
    return false;
  }

  // The reader: the X-Folio-Principal a token-carrying backend vouches for, else public.
  Result<storage::Principal> Principal() const {
    auto named = WritePrincipal();  // the same header, read the same way
    if (!named.ok()) return named.status();
    return named->value_or(storage::Principal{});
  }

  // The writer: the X-Folio-Principal a token-carrying backend vouches for, whose rights the
  // store checks; without one (or without a token configured) the caller is an administrator.
  Result<std::optional<storage::Principal>> WritePrincipal() const {
    if (service_.config_.token.empty() || !authorized_) return std::optional<storage::Principal>();
    auto it = request_.find(kPrincipalHeader);
    if (it == request_.end()) return std::optional<storage::Principal>();
    auto principal = ParsePrincipalHeader(std::string_view(it->value().data(), it->value().size()));
    if (!principal.ok()) return principal.status();
    return std::optional<storage::Principal>(std::move(*principal));
  }

  Result<storage::Axis> AxisParam() {
    storage::Query q;
    const std::string* status = target_.Param("status");
    FOLIO_RETURN_IF_ERROR(ParseStatus(status ? *status : "", q));
    return q.axis;
  }

  // ---- Routes ----

  void Health() { Json(200, R"({"status":"ok"})"); }

  void Metrics() {
    auto res = MakeResponse<http::string_body>(200);
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = service_.metrics_.RenderPrometheus(engine_.Stats());
    Send(std::move(res));
  }

  void Stats() { Json(200, StatsToJson(engine_.Stats())); }

  void OpenApi() { Json(200, std::string(OpenApiJson())); }

  void List() {
    storage::Query q;
    q.tenant = tenant_;
    q.type = type_;
    Status s = ParseListing(q);
    if (!s.ok()) return Fail(s);
    if (q.axis == storage::Axis::kDraft && !RequireToken()) return;
    auto principal = Principal();
    if (!principal.ok()) return Fail(principal.status());
    q.principal = std::move(*principal);
    const bool is_public = q.axis == storage::Axis::kPublished && q.principal.anonymous();
    engine_.AsyncQuery(std::move(q),
                       boost::asio::bind_executor(
                           executor_, [self = shared_from_this(), is_public](Result<PageRef> page) {
                             self->Guarded([&] {
                               if (!page.ok()) return self->Fail(page.status());
                               self->SendPage(*page, is_public);
                             });
                           }));
  }

  Status ParseListing(storage::Query& q) { return ParseListingParams(target_.params, q); }

  void Get() {
    auto axis = AxisParam();
    if (!axis.ok()) return Fail(axis.status());
    if (*axis == storage::Axis::kDraft && !RequireToken()) return;
    auto principal = Principal();
    if (!principal.ok()) return Fail(principal.status());
    const bool is_public = *axis == storage::Axis::kPublished && principal->anonymous();
    storage::Query include;
    if (const std::string* list = target_.Param("include")) {
      Status s = ParseInclude(*list, include);
      if (!s.ok()) return Fail(s);
    }
    if (!include.include.empty()) {
      std::function<Result<DocumentRef>()> work = [this, axis = *axis,
                                                   principal = std::move(*principal),
                                                   names = std::move(include.include)] {
        return engine_.Get(tenant_, root_id_, axis, principal, names);
      };
      return engine_.AsyncRun(
          std::move(work),
          boost::asio::bind_executor(
              executor_, [self = shared_from_this(), is_public](Result<DocumentRef> doc) {
                self->Guarded([&] { self->SendDocument(doc, is_public); });
              }));
    }
    engine_.AsyncGet(tenant_, root_id_, *axis, std::move(*principal),
                     boost::asio::bind_executor(executor_, [self = shared_from_this(),
                                                            is_public](Result<DocumentRef> doc) {
                       self->Guarded([&] { self->SendDocument(doc, is_public); });
                     }));
  }

  Result<json> JsonBody() {
    if (JsonNestingDepth(request_.body()) > kMaxJsonDepth) {
      return Status::InvalidArgument("request body nests JSON deeper than " +
                                     std::to_string(kMaxJsonDepth) + " levels");
    }
    json body = json::parse(request_.body(), nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) return Status::InvalidArgument("request body is not valid JSON");
    if (!body.is_object()) return Status::InvalidArgument("request body must be a JSON object");
    return body;
  }

  // The body's "data" object as text, and the document fields beside it.
  Status DocumentBody(std::string* data, storage::DocumentFields* fields) {
    auto body = JsonBody();
    if (!body.ok()) return body.status();
    auto it = body->find("data");
    if (it == body->end()) return Status::InvalidArgument("request body needs a \"data\" object");
    if (!it->is_object()) return Status::InvalidArgument("\"data\" must be a JSON object");
    // `data` is stored as the client wrote it (numbers, key order, escapes): its bytes are
    // taken from the body's text, not re-serialized from the parsed form.
    auto compact = storage::CompactJson(request_.body(), kMaxJsonDepth);
    if (!compact.ok()) {
      return Status::InvalidArgument("request body is not valid JSON: " +
                                     compact.status().message());
    }
    auto raw = storage::FindMember(*compact, "data");
    if (!raw) return Status::InvalidArgument("request body needs a \"data\" object");
    *data = std::string(*raw);
    auto f = ParseFields(*body);
    if (!f.ok()) return f.status();
    *fields = std::move(*f);
    return Status::Ok();
  }

  void WriteDocument(storage::WriteOp op, unsigned status) {
    auto writer = WritePrincipal();
    if (!writer.ok()) return Fail(writer.status());
    std::visit([&writer](auto& o) { o.principal = *writer; }, op);
    engine_.AsyncWrite(
        std::move(op), boost::asio::bind_executor(executor_, [self = shared_from_this(), status](
                                                                 Result<storage::WriteResult> r) {
          self->Guarded([&] {
            if (!r.ok()) return self->Fail(r.status());
            if (status == 204) return self->Send(self->MakeResponse<http::empty_body>(204));
            auto res = self->MakeResponse<http::string_body>(status);
            res.set(http::field::content_type, "application/json");
            if (status == 201) {
              res.set(http::field::location, "/v1/" + PercentEncodeSegment(self->tenant_) +
                                                 "/documents/" +
                                                 PercentEncodeSegment(r->document.root_id));
            }
            res.body() = "{\"data\":" + r->document.ToJson() + "}";
            self->Send(std::move(res));
          });
        }));
  }

  void Create() {
    if (!RequireToken()) return;
    storage::CreateOp op{tenant_, type_, "", {}};
    Status s = DocumentBody(&op.data, &op.fields);
    if (!s.ok()) return Fail(s);
    WriteDocument(std::move(op), 201);
  }

  void Replace(bool merge) {
    if (!RequireToken()) return;
    std::string data;
    storage::DocumentFields fields;
    Status s = DocumentBody(&data, &fields);
    if (!s.ok()) return Fail(s);
    if (merge) return WriteDocument(storage::PatchOp{tenant_, root_id_, data, fields}, 200);
    WriteDocument(storage::UpdateOp{tenant_, root_id_, data, fields}, 200);
  }

  void Lifecycle(storage::LifecycleAction action) {
    if (!RequireToken()) return;
    WriteDocument(storage::LifecycleOp{tenant_, root_id_, action},
                  action == storage::LifecycleAction::kDelete ? 204 : 200);
  }

  void RegisterType() {
    if (!RequireToken()) return;
    auto body = JsonBody();
    if (!body.ok()) return Fail(body.status());
    bool short_form = false;
    auto def = storage::ParseTypeJson(body->dump(-1, ' ', false, json::error_handler_t::replace),
                                      &short_form);
    if (!def.ok()) return Fail(def.status());
    // A new type in folio's short form keeps a version per save, as folio always did.
    if (short_form && !engine_.GetType(def->id).ok()) def->settings.versioning = true;
    std::function<Result<storage::TypeDefinition>()> work = [this, def = std::move(*def)] {
      return engine_.RegisterType(def);
    };
    engine_.AsyncRun(
        std::move(work),
        boost::asio::bind_executor(
            executor_, [self = shared_from_this()](const Result<storage::TypeDefinition>& t) {
              self->Guarded([&] { self->TypeRegistered(t); });
            }));
  }

  // (A member, not inline in the lambda: GCC 12 then warns that the Result may be used
  // uninitialized.)
  void TypeRegistered(const Result<storage::TypeDefinition>& t) {
    if (!t.ok()) return Fail(t.status());
    Json(200, "{\"data\":" + storage::TypeJson(*t) + "}");
  }

  void ListTypes() {
    std::string out = "{\"data\":[";
    bool first = true;
    for (const auto& t : engine_.ListTypes()) {
      if (!first) out += ',';
      first = false;
      out += storage::TypeJson(t);
    }
    Json(200, out + "]}");
  }

  void GetType() {
    auto t = engine_.GetType(type_);
    if (!t.ok()) return Fail(t.status());
    Json(200, "{\"data\":" + storage::TypeJson(*t) + "}");
  }

  void GetBySlug() {
    Engine::SlugStatus status =
        authorized_ ? Engine::SlugStatus::kAny : Engine::SlugStatus::kPublished;
    std::string locale = "default";
    storage::Query include;
    for (const auto& [key, value] : target_.params) {
      if (key == "locale") {
        locale = value;
      } else if (key == "include") {
        Status s = ParseInclude(value, include);
        if (!s.ok()) return Fail(s);
      } else if (key == "status") {
        auto parsed = ParseSlugStatus(value);
        if (!parsed.ok()) return Fail(parsed.status());
        status = *parsed;
      } else {
        return Error(400, "unknown query parameter '" + key + "'");
      }
    }
    if (status != Engine::SlugStatus::kPublished && !RequireToken()) return;
    auto principal = Principal();
    if (!principal.ok()) return Fail(principal.status());
    const bool is_public = status == Engine::SlugStatus::kPublished && principal->anonymous();
    std::function<Result<DocumentRef>()> work = [this, locale, status,
                                                 principal = std::move(*principal),
                                                 names = std::move(include.include)] {
      return engine_.GetBySlug(tenant_, type_, slug_, locale, status, principal, names);
    };
    engine_.AsyncRun(std::move(work),
                     boost::asio::bind_executor(executor_, [self = shared_from_this(),
                                                            is_public](Result<DocumentRef> doc) {
                       self->Guarded([&] { self->SendDocument(doc, is_public); });
                     }));
  }

  // A listing page: its stored body as it is (shared, never copied), or the coded form the
  // client accepts, made once per fill and kept beside the page in L1; 304 when the client's
  // copy is current.
  void SendPage(const PageRef& page, bool is_public) {
    const std::string_view tag = page.content_tag();
    ContentCoding coding = ContentCoding::kIdentity;
    if (page.body().size() >= kMinCodedBytes)
      coding = NegotiateCoding(Field(http::field::accept_encoding));
    if (NotModified(page.tier(), is_public, tag, coding, /*varies=*/true)) return;
    std::shared_ptr<const std::string> coded;
    if (coding != ContentCoding::kIdentity) {
      coded = engine_.DerivedForm(page, ContentCodingName(coding), [coding](std::string_view body) {
        return CodedBytes(coding, body);
      });
      if (coded == nullptr) coding = ContentCoding::kIdentity;  // the library failed: send it plain
    }
    auto res = MakeResponse<SharedPageBody>(200);
    CacheHeaders(res, page.tier(), is_public);
    ValidatorHeaders(res, tag, coding, /*varies=*/true);
    if (coded != nullptr) {
      res.set(http::field::content_encoding, ContentCodingName(coding));
      res.body().shared = *coded;
      res.body().owner = std::move(coded);
    } else {
      res.body().owner = page.bytes();
      res.body().shared = page.body();
    }
    Send(std::move(res));
  }

  // Answers 304 Not Modified, with the headers the 200 would carry but no body, when the
  // request's If-None-Match names `tag` (in any coding).
  bool NotModified(Tier tier, bool is_public, std::string_view tag, ContentCoding coding,
                   bool varies) {
    const std::string_view if_none_match = Field(http::field::if_none_match);
    if (if_none_match.empty() || !IfNoneMatchMatches(if_none_match, tag)) return false;
    auto res = MakeResponse<http::empty_body>(304);
    CacheHeaders(res, tier, is_public);
    res.erase(http::field::content_type);
    ValidatorHeaders(res, tag, coding, varies);
    Send(std::move(res));
    return true;
  }

  template <typename Response>
  void ValidatorHeaders(Response& res, std::string_view tag, ContentCoding coding, bool varies) {
    res.set(http::field::etag, EntityTag(tag, coding));
    if (varies) res.set(http::field::vary, "Accept-Encoding");
  }

  std::string_view Field(http::field name) const {
    auto it = request_.find(name);
    if (it == request_.end()) return {};
    return std::string_view(it->value().data(), it->value().size());
  }

  // A single document: never coded (most are a few hundred bytes; coding one per request
  // would cost more than it saves), its ETag hashed here (a few ns per byte).
  void SendDocument(const Result<DocumentRef>& doc, bool is_public) {
    if (!doc.ok()) return Fail(doc.status());
    const std::string tag = ContentTagOf(doc->json());
    if (NotModified(doc->tier(), is_public, tag, ContentCoding::kIdentity, /*varies=*/false))
      return;
    auto res = MakeResponse<SharedPageBody>(200);
    CacheHeaders(res, doc->tier(), is_public);
    ValidatorHeaders(res, tag, ContentCoding::kIdentity, /*varies=*/false);
    res.body().head = "{\"data\":";
    res.body().owner = doc->bytes();
    res.body().shared = doc->json();
    res.body().tail = "}";
    Send(std::move(res));
  }

  static Result<int64_t> ParseVersionNumber(const std::string& text) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < 1) {
      return Status::InvalidArgument("version '" + text + "' is not a version number (1 or more)");
    }
    return v;
  }

  // Versions and referrers show drafts and history: the token's.
  void ListVersions() {
    if (!RequireToken()) return;
    int limit = 20;
    std::string cursor;
    for (const auto& [key, value] : target_.params) {
      if (key == "limit") {
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
        if (ec != std::errc() || end != value.data() + value.size()) {
          return Error(400, "limit '" + value + "' is not an integer");
        }
      } else if (key == "cursor") {
        cursor = value;
      } else {
        return Error(400, "unknown query parameter '" + key + "'");
      }
    }
    std::function<Result<storage::VersionList>()> work = [this, limit, cursor] {
      return engine_.ListVersions(tenant_, root_id_, limit, cursor);
    };
    engine_.AsyncRun(
        std::move(work),
        boost::asio::bind_executor(
            executor_, [self = shared_from_this()](Result<storage::VersionList> list) {
              self->Guarded([&] {
                if (!list.ok()) return self->Fail(list.status());
                std::string out = "{\"data\":[";
                for (size_t i = 0; i < list->versions.size(); ++i) {
                  if (i > 0) out += ',';
                  out += list->versions[i].ToJson();
                }
                out += "],\"meta\":{\"count\":" + std::to_string(list->versions.size()) +
                       ",\"next_cursor\":" +
                       (list->next_cursor ? json(*list->next_cursor).dump() : "null") + "}}";
                self->Json(200, std::move(out));
              });
            }));
  }

  void GetVersion() {
    if (!RequireToken()) return;
    if (!target_.params.empty()) {
      return Error(400, "unknown query parameter '" + target_.params.front().first + "'");
    }
    std::function<Result<storage::Document>()> work = [this] {
      return engine_.GetVersion(tenant_, root_id_, version_);
    };
    engine_.AsyncRun(
        std::move(work),
        boost::asio::bind_executor(
            executor_, [self = shared_from_this()](const Result<storage::Document>& doc) {
              self->Guarded([&] { self->VersionRead(doc); });
            }));
  }

  void VersionRead(const Result<storage::Document>& doc) {
    if (!doc.ok()) return Fail(doc.status());
    Json(200, "{\"data\":" + doc->ToJson() + "}");
  }

  void ListReferrers() {
    if (!RequireToken()) return;
    if (!target_.params.empty()) {
      return Error(400, "unknown query parameter '" + target_.params.front().first + "'");
    }
    std::function<Result<std::vector<storage::Referrer>>()> work = [this] {
      return engine_.ListReferrers(tenant_, root_id_, 1000);
    };
    engine_.AsyncRun(
        std::move(work),
        boost::asio::bind_executor(
            executor_, [self = shared_from_this()](Result<std::vector<storage::Referrer>> list) {
              self->Guarded([&] {
                if (!list.ok()) return self->Fail(list.status());
                json out = json::array();
                for (const auto& r : *list) {
                  out.push_back({{"root_id", r.root_id},
                                 {"document_id", r.document_id},
                                 {"type", r.type},
                                 {"field", r.field},
                                 {"ordinal", r.ordinal},
                                 {"ref_strength",
                                  r.strength == storage::RefStrength::kStrong ? "strong" : "weak"},
                                 {"published", r.published},
                                 {"current_draft", r.current_draft}});
                }
                self->Json(200, json{{"data", out}, {"meta", {{"count", list->size()}}}}.dump(
                                    -1, ' ', false, json::error_handler_t::replace));
              });
            }));
  }

  void GetPermissions() {
    if (!RequireToken()) return;
    auto writer = WritePrincipal();
    if (!writer.ok()) return Fail(writer.status());
    std::function<Result<std::vector<storage::PermissionRule>>()> work = [this, writer = *writer] {
      return engine_.GetPermissions(tenant_, root_id_, writer);
    };
    engine_.AsyncRun(
        std::move(work),
        boost::asio::bind_executor(
            executor_, [self = shared_from_this()](Result<std::vector<storage::PermissionRule>> r) {
              self->Guarded([&] {
                if (!r.ok()) return self->Fail(r.status());
                self->Json(200, PermissionRulesJson(*r));
              });
            }));
  }

  void SetPermissions() {
    if (!RequireToken()) return;
    auto parsed = ParsePermissionRules(request_.body());
    if (!parsed.ok()) return Fail(parsed.status());
    std::vector<storage::PermissionRule> rules = std::move(*parsed);
    auto writer = WritePrincipal();
    if (!writer.ok()) return Fail(writer.status());
    std::function<Result<std::vector<storage::PermissionRule>>()> work =
        [this, rules, writer = *writer]() -> Result<std::vector<storage::PermissionRule>> {
      Status s = engine_.SetPermissions(tenant_, root_id_, rules, writer);
      if (!s.ok()) return s;
      return rules;
    };
    engine_.AsyncRun(
        std::move(work),
        boost::asio::bind_executor(
            executor_, [self = shared_from_this()](Result<std::vector<storage::PermissionRule>> r) {
              self->Guarded([&] {
                if (!r.ok()) return self->Fail(r.status());
                self->Json(200, PermissionRulesJson(*r));
              });
            }));
  }

  // ---- Responses ----

  template <typename Body>
  http::response<Body> MakeResponse(unsigned status) {
    http::response<Body> res{static_cast<http::status>(status), request_.version()};
    res.set(http::field::server, "folio");
    res.keep_alive(request_.keep_alive());
    return res;
  }

  template <typename Response>
  void CacheHeaders(Response& res, Tier tier, bool is_public) {
    res.set(http::field::content_type, "application/json");
    res.set("X-Cache-Status", tier == Tier::kDatabase ? "MISS" : "HIT");
    res.set("X-Cache-Source", TierName(tier));
    tier_ = TierName(tier);
    res.set(http::field::cache_control,
            is_public ? "public, max-age=0, must-revalidate" : "private, no-store");
  }

  void Json(unsigned status, std::string body) {
    auto res = MakeResponse<http::string_body>(status);
    res.set(http::field::content_type, "application/json");
    res.body() = std::move(body);
    Send(std::move(res));
  }

  void Fail(const Status& s) { Error(HttpStatusFor(s), s.message()); }

  void Error(unsigned status, std::string_view message) {
    HttpReply reply =
        ErrorReply(status, message, request_.version(), request_.keep_alive(), route_);
    Reply(std::move(reply));
  }

  void NotFound() {
    Error(404, "no route for " + std::string(request_.method_string()) + " " +
                   std::string(request_.target()));
  }

  template <typename Body>
  void Send(http::response<Body>&& res) {
    unsigned status = res.result_int();
    // A 304 has no body by definition: no Content-Length (it would have to be the 200's).
    if (status != 304) res.prepare_payload();
    Reply(HttpReply{std::make_unique<TypedResponse<Body>>(std::move(res)), route_, status});
  }

  // The client's X-Request-Id when it is a sane token (1-128 visible ASCII characters), else
  // one made here: unique within the process, and across restarts by a random prefix.
  std::string RequestId() const {
    auto it = request_.find("X-Request-Id");
    if (it != request_.end()) {
      std::string_view id(it->value().data(), it->value().size());
      const bool sane =
          !id.empty() && id.size() <= 128 &&
          std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
      if (sane) return std::string(id);
    }
    return service_.NextRequestId();
  }

  void Reply(HttpReply reply) {
    // Handlers already run on executor_ (bind_executor) or on the caller's strand.
    if (auto origin = AllowedOrigin()) {
      http::fields& f = reply.message->fields();
      f.set(http::field::access_control_allow_origin, *origin);
      auto vary = f.find(http::field::vary);
      f.set(http::field::vary,
            vary == f.end() ? std::string("Origin") : std::string(vary->value()) + ", Origin");
      f.set(http::field::access_control_expose_headers,
            "ETag, Location, X-Cache-Status, X-Cache-Source, X-Request-Id");
    }
    if (head_) reply.message->OmitBody();
    reply.request_id = RequestId();
    reply.message->fields().set("X-Request-Id", reply.request_id);
    reply.tier = tier_;
    replied_ = true;
    done_(std::move(reply));
  }

  Service& service_;
  Engine& engine_;
  HttpRequest request_;
  boost::asio::any_io_executor executor_;
  std::function<void(HttpReply)> done_;
  RequestTarget target_;
  folio::app::Route route_ = Route::kUnmatched;
  bool authorized_ = false;
  bool replied_ = false;
  bool head_ = false;
  const char* tier_ = "-";
  std::string tenant_, type_, root_id_, slug_;
  int64_t version_ = 0;
};

Service::Service(Engine& engine, HttpMetrics& metrics, const HttpConfig& config)
    : engine_(engine),
      metrics_(metrics),
      config_(config),
      request_id_prefix_(static_cast<uint32_t>(std::random_device{}())) {}

std::string Service::NextRequestId() {
  const uint64_t n = request_counter_.fetch_add(1, std::memory_order_relaxed);
  char id[32];
  std::snprintf(id, sizeof(id), "%08x-%08llx", request_id_prefix_,
                static_cast<unsigned long long>(n));
  return id;
}

void Service::Handle(HttpRequest request, boost::asio::any_io_executor executor,
                     std::function<void(HttpReply)> done) {
  auto call =
      std::make_shared<Call>(*this, std::move(request), std::move(executor), std::move(done));
  call->Guarded([&] { call->Run(); });
}

HttpReply Service::ErrorReply(unsigned status, std::string_view message, unsigned version,
                              bool keep_alive, folio::app::Route route) {
  http::response<http::string_body> res{static_cast<http::status>(status), version};
  res.set(http::field::server, "folio");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = json{{"error", {{"code", ErrorCode(status)}, {"message", message}}}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  res.prepare_payload();
  return HttpReply{std::make_unique<TypedResponse<http::string_body>>(std::move(res)), route,
                   status};
}

}  // namespace folio::app
