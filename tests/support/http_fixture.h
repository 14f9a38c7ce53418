// The HTTP test harness shared by the service's suites: a small synchronous Beast client (raw
// bytes too, for malformed requests) and a fixture that runs an HttpServer on 127.0.0.1
// (port 0) over an Engine on a temp data dir, on its own thread.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "folio/engine/engine.h"
#include "http/http_config.h"
#include "http/server.h"

namespace folio::app::http_testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using Response = http::response<http::string_body>;

inline constexpr char kToken[] = "s3cret-token";
inline constexpr auto kIoTimeout = std::chrono::seconds(10);  // a bound on every client operation

// ---- A small synchronous client (async ops run to completion with a deadline) -------------

class Client {
 public:
  explicit Client(uint16_t port) : stream_(ioc_) {
    stream_.expires_after(kIoTimeout);
    beast::error_code ec;
    stream_.socket().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (ec) throw std::runtime_error("connect: " + ec.message());
  }

  // Sends one request (HTTP/1.1, keep-alive) and reads its response.
  Response Do(http::verb verb, const std::string& target, const std::string& body = "",
              const std::map<std::string, std::string>& headers = {}) {
    Send(Make(verb, target, body, headers));
    auto res = Read(/*header_only=*/verb == http::verb::head);
    if (!res) throw std::runtime_error("no response to " + target + ": " + last_error_.message());
    return std::move(*res);
  }
  Response Get(const std::string& target, const std::map<std::string, std::string>& h = {}) {
    return Do(http::verb::get, target, "", h);
  }

  static http::request<http::string_body> Make(
      http::verb verb, const std::string& target, const std::string& body = "",
      const std::map<std::string, std::string>& headers = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers)
      req.set(k, v);
    if (!body.empty() || verb == http::verb::post || verb == http::verb::put ||
        verb == http::verb::patch) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    return req;
  }

  void Send(const http::request<http::string_body>& req) {
    std::string wire = Serialize(req);
    WriteRaw(wire);
  }

  static std::string Serialize(const http::request<http::string_body>& req) {
    std::ostringstream out;
    out << req;
    return out.str();
  }

  void WriteRaw(const std::string& bytes) {
    beast::error_code ec;
    net::write(stream_.socket(), net::buffer(bytes), ec);
    if (ec) throw std::runtime_error("write: " + ec.message());
  }

  // The next response, or nullopt when the connection ended (last_error() says how).
  // `header_only`: the answer to a HEAD, whose Content-Length describes a body never sent.
  std::optional<Response> Read(bool header_only = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(header_only);
    beast::error_code ec;
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, size_t) { ec = e; });
    Run();
    last_error_ = ec;
    if (ec) return std::nullopt;
    return parser.release();
  }

  // Waits for the server to close the connection; true if it did (EOF or reset) within
  // `within`, false if data arrived or the deadline passed.
  bool WaitClosed(std::chrono::milliseconds within) {
    stream_.expires_after(within);
    char byte;
    beast::error_code ec;
    size_t n = 0;
    stream_.async_read_some(net::buffer(&byte, 1), [&](beast::error_code e, size_t got) {
      ec = e;
      n = got;
    });
    Run();
    last_error_ = ec;
    return n == 0 && (ec == net::error::eof || ec == net::error::connection_reset);
  }

  const beast::error_code& last_error() const { return last_error_; }

 private:
  void Run() {
    ioc_.restart();
    ioc_.run();
  }

  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code last_error_;
};

inline json Body(const Response& res) {
  json j = json::parse(res.body(), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("response body is not JSON: " + res.body());
  return j;
}

inline std::string Header(const Response& res, const std::string& name) {
  auto it = res.find(name);
  return it == res.end() ? std::string() : std::string(it->value());
}

inline std::string ErrorCodeOf(const Response& res) {
  json j = Body(res);
  return j["error"]["code"].get<std::string>();
}

// The error message of a 4xx/5xx response.
inline std::string MessageOf(const Response& res) {
  return Body(res)["error"]["message"].get<std::string>();
}

// ---- The fixture: an Engine and an HttpServer on a temp data dir --------------------------

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        std::filesystem::temp_directory_path() / ("folio_http_" + std::to_string(::getpid()) + "_" +
                                                  std::to_string(n++) + "_" + info->name());
    std::filesystem::remove_all(dir_);
    OpenEngine();
    config_.listen = "127.0.0.1:0";
    config_.threads = 2;
    config_.token = kToken;
    config_.access_log = false;
    config_.body_limit_bytes = 64 << 10;
  }

  void TearDown() override {
    StopServer();
    engine_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void OpenEngine() {
    Options options;
    options.data_dir = dir_.string();
    options.l1_capacity_bytes = 16 << 20;
    options.l2_map_size_bytes = 64 << 20;
    auto engine = Engine::Open(options);
    if (!engine.ok()) throw std::runtime_error(engine.status().ToString());
    engine_ = std::move(*engine);
  }

  // A new process's view: the server and engine stop (L2 fills flushed) and start again on
  // the same data dir, so L1 is empty and L2 still holds what was filled.
  void RestartEngine() {
    StopServer();
    engine_->FlushFills();
    engine_.reset();
    OpenEngine();
    StartServer();
  }

  // Binds and runs the server with config_ (tests adjust config_ first).
  void StartServer() {
    auto server = HttpServer::Bind(*engine_, config_, /*handle_signals=*/false);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    std::promise<void> done;
    run_done_ = done.get_future();
    runner_ = std::thread([this, done = std::move(done)]() mutable {
      server_->Run();
      done.set_value();
    });
  }

  void StopServer() {
    if (!server_) return;
    server_->Stop();
    if (runner_.joinable()) runner_.join();
    server_.reset();
  }

  Client Connect() { return Client(port_); }

  static std::map<std::string, std::string> Auth(std::map<std::string, std::string> more = {}) {
    more["Authorization"] = std::string("Bearer ") + kToken;
    return more;
  }

  // POST /v1/types for the test type "post" (fields title:text, views:integer; facet tags).
  void RegisterPostType(Client& c) {
    auto res = c.Do(
        http::verb::post, "/v1/types",
        R"({"id":"post","fields":{"title":"text","views":"integer"},"facets":["tags"]})", Auth());
    ASSERT_EQ(res.result_int(), 200u) << res.body();
  }

  // Creates (and optionally publishes) a document of `type` through the API; its root_id.
  std::string CreateDoc(Client& c, const std::string& type, const json& data, bool publish,
                        const std::string& tenant = "default", const json& extra = json::object()) {
    json body = extra;
    body["data"] = data;
    auto res = c.Do(http::verb::post, "/v1/" + tenant + "/types/" + type + "/documents",
                    body.dump(), Auth());
    if (res.result_int() != 201) throw std::runtime_error("create: " + res.body());
    std::string root = Body(res)["data"]["root_id"].get<std::string>();
    if (publish) {
      auto p =
          c.Do(http::verb::post, "/v1/" + tenant + "/documents/" + root + "/publish", "", Auth());
      if (p.result_int() != 200) throw std::runtime_error("publish: " + p.body());
    }
    return root;
  }

  static std::vector<std::string> RootIds(const json& page) {
    std::vector<std::string> out;
    for (const auto& d : page["data"])
      out.push_back(d["root_id"].get<std::string>());
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
  HttpConfig config_;
  std::unique_ptr<HttpServer> server_;
  std::thread runner_;
  std::future<void> run_done_;
  uint16_t port_ = 0;
};

}  // namespace folio::app::http_testing
