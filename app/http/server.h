// HttpServer: `folio serve`. N threads, each running its own io_context with its own acceptor
// on the shared port (SO_REUSEPORT), so a connection's handlers run on one thread in order (an
// implicit strand); keep-alive and pipelined requests answered in order; limits on bodies,
// headers, URLs, connections and time; graceful shutdown on SIGINT/SIGTERM (stop accepting, let
// in-flight requests finish within the grace period, close, return from Run()).
//
// Thread-safety: Stop() may be called from any thread; the rest from the owning thread.
#pragma once

#include <cstdint>
#include <memory>

#include "folio/base/status.h"
#include "folio/engine/engine.h"
#include "http/http_config.h"
#include "http/http_metrics.h"

namespace folio::app {

class HttpServer {
 public:
  // Binds the listening socket (so port() is known and a busy port fails here, with a clear
  // error), but serves nothing until Run(). Borrows `engine`; it must outlive the server.
  static Result<std::unique_ptr<HttpServer>> Bind(Engine& engine, const HttpConfig& config,
                                                  bool handle_signals = true);
  ~HttpServer();

  uint16_t port() const;
  // The connections served at once: HttpConfig::max_connections, lowered when the file
  // descriptor limit (RLIMIT_NOFILE, read at Bind) leaves room for fewer.
  int max_connections() const;
  // Serves until SIGINT/SIGTERM or Stop(), then shuts down gracefully and returns.
  void Run();
  // Begins the graceful shutdown. Thread-safe; idempotent.
  void Stop();

  HttpMetrics& metrics();

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace folio::app
