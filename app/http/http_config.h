// How `folio serve` listens and what it allows. Plain data; defaults are the service's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "folio/base/status.h"

namespace folio::app {

struct HttpConfig {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  int threads = 0;                        // io threads; 0 = the number of cores
  std::string token;                      // when set, writes and drafts need Bearer <token>
  size_t body_limit_bytes = (1 << 20) + (64 << 10);  // a 1 MiB document plus its envelope
  size_t header_limit_bytes = 16 << 10;
  size_t url_limit_bytes = 8 << 10;
  int64_t request_timeout_ms = 15'000;  // to read one whole request once it has started
  int64_t idle_timeout_ms = 60'000;     // a keep-alive connection with no request
  int max_connections = 4096;
  int64_t shutdown_grace_ms = 10'000;  // in-flight requests get this long after SIGINT/SIGTERM
  std::string log_level = "info";      // trace, debug, info, warn, error, off
  bool access_log = true;
  // The access log's lines: "text" (the default), "json" (one object per line) or "logfmt".
  std::string log_format = "text";
  // Origins a browser may call the API from (CORS); "*" allows any. Empty: no CORS headers.
  std::vector<std::string> cors_origins{};
};

// Splits "HOST:PORT" ("[::1]:8080" for IPv6). InvalidArgument names what is wrong.
Status ParseListen(const std::string& listen, std::string* host, uint16_t* port);

// Reads the serve settings of a folio config file (app/config.h: its keys are the long flag
// names, "listen", "threads", "token", "body-limit", …) into `config`; keys the file does not
// name keep their values, engine settings are checked and ignored. Unknown keys are an error
// naming them.
Status LoadHttpConfigFile(const std::string& path, HttpConfig* config);

}  // namespace folio::app
