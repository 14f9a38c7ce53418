#include "http/http_config.h"

#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>

namespace folio::app {

Status ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Status::InvalidArgument("--listen '" + listen + "' is not HOST:PORT");
  }
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned value = 0;
  std::string_view p(listen.data() + colon + 1, listen.size() - colon - 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value > 65535) {
    return Status::InvalidArgument("--listen '" + listen + "': port must be 0..65535");
  }
  *host = h;
  *port = static_cast<uint16_t>(value);
  return Status::Ok();
}

Status LoadHttpConfigFile(const std::string& path, HttpConfig* c) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read config file '" + path + "'");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("config file '" + path + "' is not a JSON object");
  }
  try {
    for (auto& [key, value] : j.items()) {
      if (key == "listen")
        c->listen = value.get<std::string>();
      else if (key == "threads")
        c->threads = value.get<int>();
      else if (key == "token")
        c->token = value.get<std::string>();
      else if (key == "body-limit")
        c->body_limit_bytes = value.get<size_t>();
      else if (key == "header-limit")
        c->header_limit_bytes = value.get<size_t>();
      else if (key == "url-limit")
        c->url_limit_bytes = value.get<size_t>();
      else if (key == "request-timeout-ms")
        c->request_timeout_ms = value.get<int64_t>();
      else if (key == "idle-timeout-ms")
        c->idle_timeout_ms = value.get<int64_t>();
      else if (key == "max-connections")
        c->max_connections = value.get<int>();
      else if (key == "shutdown-grace-ms")
        c->shutdown_grace_ms = value.get<int64_t>();
      else if (key == "log-level")
        c->log_level = value.get<std::string>();
      else if (key == "access-log")
        c->access_log = value.get<bool>();
      else if (key == "data-dir" || key == "db")
        continue;  // read by the command itself
      else
        return Status::InvalidArgument("config file '" + path + "': unknown key '" + key + "'");
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument("config file '" + path + "': " + e.what());
  }
  return Status::Ok();
}

}  // namespace folio::app
