// Fuzzes whole HTTP/1.1 requests through the service, as `folio serve` reads them: Beast's
// request parser with the server's header and body limits, then every request that parses
// handed to Service::Handle over a real Engine (SQLite, L1, L2) — routing, the token check,
// X-Folio-Principal, query parameters, JSON bodies, writes and the replies built from them.
//
// The engine is opened once per process on a scratch data dir with a type and three documents;
// "@doc0@", "@doc1@" and "@doc2@" in the input stand for their root ids (which are random), so
// inputs can reach the routes of existing documents. After enough writes it is made afresh.
// Requests are read one after another from the input, like pipelined requests on one
// connection, until one fails to parse or asks to close.
//
// Properties: Handle answers every request exactly once; the reply, written to a socket as the
// server writes it, reads back as a whole HTTP response with the status it claims and valid
// JSON when it says JSON; no request gets a 500 (an Internal, Corruption or IOError status
// reaching the client is a bug).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "folio/engine/engine.h"
#include "fuzz_support.h"
#include "http/http_config.h"
#include "http/http_metrics.h"
#include "http/service.h"
#include "support/decode.h"

namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace storage = folio::storage;
using folio::app::HttpReply;
using folio::app::Route;
using tcp = net::ip::tcp;

constexpr int kWritesPerEngine = 300;
constexpr int kMaxRequestsPerInput = 8;

struct Fixture {
  folio::app::HttpConfig config;
  folio::app::HttpMetrics metrics;
  std::unique_ptr<folio::Engine> engine;
  std::unique_ptr<folio::app::Service> service;
  net::io_context io;
  tcp::acceptor acceptor{io, {net::ip::address_v4::loopback(), 0}};  // see CheckReply
  std::string roots[3];
  int writes = 0;

  Fixture() {
    config.token = "fuzz-token";
    Reset();
  }

  void Reset() {
    service.reset();
    engine.reset();
    const fs::path dir = folio::fuzz::ScratchDir() / "http";
    fs::remove_all(dir);
    folio::Options options;
    options.data_dir = dir.string();
    options.l1_capacity_bytes = 8 << 20;
    options.l2_map_size_bytes = 64 << 20;
    options.sqlite_threads = 1;
    options.read_connections = 2;
    auto opened = folio::Engine::Open(options);
    FUZZ_CHECK(opened.ok(), opened.status().ToString());
    engine = std::move(*opened);
    storage::TypeDefinition post{"post", "", {}, {"tags"}};
    post.fields = {{"views", storage::FieldKind::kInteger}, {"title", storage::FieldKind::kText}};
    FUZZ_CHECK(engine->RegisterType(post).ok(), "RegisterType");
    const char* bodies[] = {R"({"title":"one","views":1,"tags":["a","b"]})",
                            R"({"title":"two","views":2,"tags":["b"]})", R"({"title":"three"})"};
    for (int i = 0; i < 3; ++i) {
      auto w = engine->Write(storage::CreateOp{"acme", "post", bodies[i], {}});
      FUZZ_CHECK(w.ok(), w.status().ToString());
      roots[i] = w->document.root_id;
      if (i < 2) {
        auto p = engine->Write(storage::LifecycleOp{"acme", roots[i]});
        FUZZ_CHECK(p.ok(), p.status().ToString());
      }
    }
    // A read rule on doc2, so principals decide what it shows.
    FUZZ_CHECK(engine->SetPermissions("acme", roots[2], {{"role", "editor", "read", "allow"}}).ok(),
               "SetPermissions");
    service = std::make_unique<folio::app::Service>(*engine, metrics, config);
    writes = 0;
  }
};

Fixture& Server() {
  static Fixture* fixture = new Fixture;
  if (fixture->writes >= kWritesPerEngine) fixture->Reset();
  return *fixture;
}

bool IsWrite(Route route) {
  switch (route) {
    case Route::kRegisterType:
    case Route::kCreateDocument:
    case Route::kReplaceDocument:
    case Route::kPatchDocument:
    case Route::kPublish:
    case Route::kUnpublish:
    case Route::kRestore:
    case Route::kDeleteDocument:
    case Route::kSetPermissions:
      return true;
    default:
      return false;
  }
}

std::string Substitute(std::string bytes, const Fixture& f) {
  for (int i = 0; i < 3; ++i) {
    const std::string mark = "@doc" + std::to_string(i) + "@";
    for (size_t at = bytes.find(mark); at != std::string::npos; at = bytes.find(mark, at)) {
      bytes.replace(at, mark.size(), f.roots[i]);
      at += f.roots[i].size();
    }
  }
  return bytes;
}

// Writes the reply as the server does, to a loopback connection of its own, and reads it back
// as a client would. The writer shuts down its side once done, so a response that claims more
// bytes than it sends ends the read with an error instead of hanging.
// `head`: the request was a HEAD, whose reply has a Content-Length but no body.
void CheckReply(Fixture& f, HttpReply& reply, bool head) {
  FUZZ_CHECK(reply.status != 500, "a request got a 500");
  FUZZ_CHECK(reply.message != nullptr, "a reply without a message");
  tcp::socket client(f.io);
  // libFuzzer's timer signal can interrupt a blocking connect or accept: that is the
  // harness's to retry, not a finding (a 10M run once stopped on it).
  beast::error_code ec;
  do {
    client.connect(f.acceptor.local_endpoint(), ec);
  } while (ec == boost::asio::error::interrupted);
  FUZZ_CHECK(!ec, "connecting to the reply's writer: " + ec.message());
  tcp::socket accepted(f.io);
  do {
    f.acceptor.accept(accepted, ec);
  } while (ec == boost::asio::error::interrupted);
  FUZZ_CHECK(!ec, "accepting the reply's reader: " + ec.message());
  beast::tcp_stream server(std::move(accepted));
  beast::error_code write_ec, read_ec;
  reply.message->AsyncWrite(server, [&](beast::error_code ec, size_t) {
    write_ec = ec;
    server.socket().shutdown(tcp::socket::shutdown_send, ec);
  });
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  parser.skip(head);
  http::async_read(client, buffer, parser, [&](beast::error_code ec, size_t) { read_ec = ec; });
  f.io.restart();
  f.io.run();
  FUZZ_CHECK(!write_ec, "writing the reply: " + write_ec.message());
  FUZZ_CHECK(!read_ec && parser.is_done(), "the reply does not parse: " + read_ec.message());
  FUZZ_CHECK(buffer.size() == 0, "bytes after the reply's end");
  const auto& res = parser.get();
  FUZZ_CHECK(res.result_int() == reply.status, std::to_string(res.result_int()));
  std::optional<std::string> body = res.body();
  const auto coding = res[http::field::content_encoding];
  if (coding == "gzip") body = folio::test::Gunzip(res.body());
  if (coding == "br") body = folio::test::Unbrotli(res.body());
  FUZZ_CHECK(coding.empty() || coding == "gzip" || coding == "br", std::string(coding));
  FUZZ_CHECK(body.has_value(), "a coded body that does not decode");
  if (res[http::field::content_type] == "application/json" && !body->empty()) {
    FUZZ_CHECK(nlohmann::json::accept(*body), *body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = Server();
  const std::string input = Substitute(std::string(folio::fuzz::AsText(data, size)), f);
  size_t offset = 0;
  for (int i = 0; i < kMaxRequestsPerInput && offset < input.size(); ++i) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(f.config.header_limit_bytes));
    parser.body_limit(f.config.body_limit_bytes);
    parser.eager(true);
    beast::error_code ec;
    while (!parser.is_done()) {
      const size_t n = parser.put(net::buffer(input.data() + offset, input.size() - offset), ec);
      offset += n;
      if (ec == http::error::need_more && n > 0 && offset < input.size()) continue;
      if (ec || n == 0) return 0;  // malformed or cut short: the server answers 4xx or waits
    }
    if (parser.get().target().size() > f.config.url_limit_bytes) return 0;  // a 414
    folio::app::HttpRequest request = parser.release();
    const bool keep_alive = request.keep_alive();
    const bool head = request.method() == http::verb::head;

    std::optional<HttpReply> reply;
    int calls = 0;
    f.service->Handle(std::move(request), f.io.get_executor(), [&](HttpReply r) {
      ++calls;
      reply.emplace(std::move(r));
    });
    f.io.restart();
    f.io.run();
    FUZZ_CHECK(calls == 1, "Handle answered " + std::to_string(calls) + " times");
    f.metrics.Record(reply->route, reply->status, 0);
    if (IsWrite(reply->route) && reply->status < 300) ++f.writes;
    CheckReply(f, *reply, head);
    if (!keep_alive) break;
  }
  return 0;
}
