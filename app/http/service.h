// Service: the HTTP/JSON API of DESIGN §5 over an Engine — routing, authentication,
// parameter parsing, and turning engine results and errors into responses.
//
// Handle() never blocks: engine work runs on the engine's threads and the response is handed
// back on the connection's executor. Thread-safe: one Service serves every connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <string>

#include "folio/engine/engine.h"
#include "http/http_config.h"
#include "http/http_metrics.h"

namespace folio::app {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct HttpReply {
  boost::beast::http::message_generator message;
  Route route;
  unsigned status;
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

 private:
  class Call;
  Engine& engine_;
  HttpMetrics& metrics_;
  const HttpConfig& config_;
};

}  // namespace folio::app
