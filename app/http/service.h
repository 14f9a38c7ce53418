// Service: the HTTP/JSON API (docs/design.md §5) over an Engine — routing, authentication,
// parameter parsing, and turning engine results and errors into responses.
//
// Handle() never blocks: engine work runs on the engine's threads and the response is handed
// back on the connection's executor. Thread-safe: one Service serves every connection.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "folio/engine/engine.h"
#include "http/http_config.h"
#include "http/http_metrics.h"

namespace folio::app {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// A response ready to be written, whatever its body type. It goes out in one gather write
// (header and body buffers together): a response split over two sends has its last segment
// held back by the client's delayed ACK whenever Nagle applies.
class OutgoingResponse {
 public:
  using WriteHandler = std::function<void(boost::beast::error_code, std::size_t)>;
  virtual ~OutgoingResponse() = default;
  // REQUIRES: *this outlives the write, until `done` runs.
  virtual void AsyncWrite(boost::beast::tcp_stream& stream, WriteHandler done) = 0;
  // The response's header fields, for what applies to every response (CORS).
  virtual boost::beast::http::fields& fields() = 0;
  // The answer to a HEAD: the header as a GET would have it (Content-Length included), no body.
  void OmitBody() { omit_body_ = true; }

 protected:
  bool omit_body_ = false;
};

template <typename Body>
class TypedResponse final : public OutgoingResponse {
 public:
  explicit TypedResponse(boost::beast::http::response<Body>&& response)
      : response_(std::move(response)) {}
  void AsyncWrite(boost::beast::tcp_stream& stream, WriteHandler done) override {
    if (omit_body_) {
      header_only_.emplace(response_);
      boost::beast::http::async_write_header(stream, *header_only_, std::move(done));
      return;
    }
    boost::beast::http::async_write(stream, response_, std::move(done));
  }
  boost::beast::http::fields& fields() override { return response_.base(); }

 private:
  boost::beast::http::response<Body> response_;
  std::optional<boost::beast::http::response_serializer<Body>> header_only_;
};

struct HttpReply {
  std::unique_ptr<OutgoingResponse> message;
  Route route;
  unsigned status;
  // For the access log: the request's id (X-Request-Id, echoed or made) and the tier that
  // answered ("memory", "kv", "database"; "-" when no cache tier was involved).
  std::string request_id{};
  const char* tier = "-";
};

class Service {
 public:
  // Borrows all three; they must outlive the Service.
  Service(Engine& engine, HttpMetrics& metrics, const HttpConfig& config);

  // Answers `request`. Calls `done` exactly once, through `executor`.
  void Handle(HttpRequest request, boost::asio::any_io_executor executor,
              std::function<void(HttpReply)> done);

  // A JSON error response ({"error":{"code":…,"message":…}}, the code named after the
  // status), also for the connection's own failures (413, 431, 414, 400, 503).
  static HttpReply ErrorReply(unsigned status, std::string_view message, unsigned version,
                              bool keep_alive, Route route = Route::kUnmatched);

  // A fresh request id: this process's random prefix and a counter ("5f3a9c1e-0000002a").
  // Thread-safe.
  std::string NextRequestId();

 private:
  class Call;
  Engine& engine_;
  HttpMetrics& metrics_;
  const HttpConfig& config_;
  const uint32_t request_id_prefix_;
  std::atomic<uint64_t> request_counter_{0};
};

}  // namespace folio::app
