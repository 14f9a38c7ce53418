#include "http/http_config.h"

#include <charconv>
#include <fstream>
#include <limits>
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

namespace {

// A size, count or duration: a non-negative JSON integer that fits T. nlohmann's get<T>()
// alone would take 1.5 as 1 and wrap -1 into SIZE_MAX (an unlimited body).
template <typename T>
Status NonNegative(const std::string& path, const std::string& key, const nlohmann::json& value,
                   T* out) {
  if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<int64_t>() < 0) ||
      (value.is_number_unsigned() &&
       value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
    return Status::InvalidArgument("config file '" + path + "': '" + key +
                                   "' must be a non-negative integer");
  }
  *out = static_cast<T>(value.get<uint64_t>());
  return Status::Ok();
}

}  // namespace

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
        FOLIO_RETURN_IF_ERROR(NonNegative(path, key, value, &c->threads));
      else if (key == "token")
        c->token = value.get<std::string>();
      else if (key == "body-limit")
        FOLIO_RETURN_IF_ERROR(NonNegative(path, key, value, &c->body_limit_bytes));
      else if (key == "header-limit")
        FOLIO_RETURN_IF_ERROR(NonNegative(path, key, value, &c->header_limit_bytes));
      else if (key == "url-limit")
        FOLIO_RETURN_IF_ERROR(NonNegative(path, key, value, &c->url_limit_bytes));
      else if (key == "request-timeout-ms")
        FOLIO_RETURN_IF_ERROR(NonNegative(path, key, value, &c->request_timeout_ms));
      else if (key == "idle-timeout-ms")
        FOLIO_RETURN_IF_ERROR(NonNegative(path, key, value, &c->idle_timeout_ms));
      else if (key == "max-connections")
        FOLIO_RETURN_IF_ERROR(NonNegative(path, key, value, &c->max_connections));
      else if (key == "shutdown-grace-ms")
        FOLIO_RETURN_IF_ERROR(NonNegative(path, key, value, &c->shutdown_grace_ms));
      else if (key == "log-level")
        c->log_level = value.get<std::string>();
      else if (key == "log-format")
        c->log_format = value.get<std::string>();
      else if (key == "access-log")
        c->access_log = value.get<bool>();
      else if (key == "cors")  // an origin, or a list of them
        c->cors_origins = value.is_string() ? std::vector<std::string>{value.get<std::string>()}
                                            : value.get<std::vector<std::string>>();
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
