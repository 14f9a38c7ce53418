#include "http/http_config.h"

#include <charconv>
#include <utility>

#include "config.h"

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

Status LoadHttpConfigFile(const std::string& path, HttpConfig* config) {
  Config all;
  all.http = *config;
  FOLIO_RETURN_IF_ERROR(ApplyConfigFile(path, &all));
  *config = std::move(all.http);
  return Status::Ok();
}

}  // namespace folio::app
