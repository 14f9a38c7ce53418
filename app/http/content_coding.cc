#include "http/content_coding.h"

#include <brotli/encode.h>
#include <zlib.h>

#include <cctype>
#include <limits>

#include "http/header_text.h"

namespace folio::app {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// A qvalue (RFC 9110 §12.4.2): "0" or "1" with up to three decimals, as thousandths.
std::optional<int> ParseQValue(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int thousandths = (text[0] - '0') * 1000;
  if (text.size() > 1) {
    if (text[1] != '.') return std::nullopt;
    int scale = 100;
    for (char c : text.substr(2)) {
      if (c < '0' || c > '9') return std::nullopt;
      thousandths += (c - '0') * scale;
      scale /= 10;
    }
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths;
}

// Calls fn(element) for each comma-separated element of a list header, trimmed, empty ones
// skipped (RFC 9110 §5.6.1).
template <typename Fn>
void ForEachElement(std::string_view list, Fn fn) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view element = TrimOws(list.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

const char* ContentCodingName(ContentCoding coding) {
  switch (coding) {
    case ContentCoding::kGzip:
      return "gzip";
    case ContentCoding::kBrotli:
      return "br";
    case ContentCoding::kIdentity:
      break;
  }
  return "identity";
}

ContentCoding NegotiateCoding(std::string_view accept_encoding) {
  // -1: not named. qvalues in thousandths.
  int br = -1, gzip = -1, identity = -1, any = -1;
  ForEachElement(accept_encoding, [&](std::string_view element) {
    const size_t semicolon = element.find(';');
    const std::string_view coding = TrimOws(element.substr(0, semicolon));
    int q = 1000;
    if (semicolon != std::string_view::npos) {
      // Parameters: only q counts; one that does not parse drops the element.
      std::string_view params = element.substr(semicolon + 1);
      while (!params.empty()) {
        const size_t next = params.find(';');
        const std::string_view param = TrimOws(params.substr(0, next));
        const size_t eq = param.find('=');
        if (eq != std::string_view::npos && EqualsIgnoreCase(TrimOws(param.substr(0, eq)), "q")) {
          std::optional<int> parsed = ParseQValue(TrimOws(param.substr(eq + 1)));
          if (!parsed) return;
          q = *parsed;
        }
        if (next == std::string_view::npos) break;
        params.remove_prefix(next + 1);
      }
    }
    int* slot = nullptr;
    if (EqualsIgnoreCase(coding, "br")) {
      slot = &br;
    } else if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) {
      slot = &gzip;
    } else if (EqualsIgnoreCase(coding, "identity")) {
      slot = &identity;
    } else if (coding == "*") {
      slot = &any;
    }
    if (slot != nullptr) *slot = std::max(*slot, q);
  });
  if (br < 0) br = any;
  if (gzip < 0) gzip = any;
  // Identity is acceptable unless refused, but an unnamed identity yields to any coding.
  if (identity < 0) identity = any >= 0 ? any : 0;
  if (br > 0 && br >= gzip && br >= identity) return ContentCoding::kBrotli;
  if (gzip > 0 && gzip >= identity) return ContentCoding::kGzip;
  return ContentCoding::kIdentity;
}

std::optional<std::string> GzipBytes(std::string_view body) {
  if (body.size() > std::numeric_limits<uInt>::max()) return std::nullopt;
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper (RFC 1952) around the deflate stream.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&z, static_cast<uLong>(body.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

std::optional<std::string> BrotliBytes(std::string_view body) {
  size_t size = BrotliEncoderMaxCompressedSize(body.size());
  if (size == 0) return std::nullopt;  // too large for one call
  std::string out(size, '\0');
  if (!BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, body.size(),
                             reinterpret_cast<const uint8_t*>(body.data()), &size,
                             reinterpret_cast<uint8_t*>(out.data()))) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

std::optional<std::string> CodedBytes(ContentCoding coding, std::string_view body) {
  switch (coding) {
    case ContentCoding::kGzip:
      return GzipBytes(body);
    case ContentCoding::kBrotli:
      return BrotliBytes(body);
    case ContentCoding::kIdentity:
      break;
  }
  return std::string(body);
}

std::string EntityTag(std::string_view tag, ContentCoding coding) {
  std::string out;
  out.reserve(tag.size() + 8);
  out.push_back('"');
  out.append(tag);
  if (coding != ContentCoding::kIdentity) {
    out.push_back('-');
    out.append(ContentCodingName(coding));
  }
  out.push_back('"');
  return out;
}

bool IfNoneMatchMatches(std::string_view header, std::string_view tag) {
  if (TrimOws(header) == "*") return true;
  bool matched = false, malformed = false;
  ForEachElement(header, [&](std::string_view element) {
    if (element.size() >= 2 && element[0] == 'W' && element[1] == '/') element.remove_prefix(2);
    if (element.size() < 2 || element.front() != '"' || element.back() != '"') {
      malformed = true;
      return;
    }
    std::string_view opaque = element.substr(1, element.size() - 2);
    if (opaque.substr(0, tag.size()) != tag) return;
    opaque.remove_prefix(tag.size());
    if (opaque.empty() || opaque == "-gzip" || opaque == "-br") matched = true;
  });
  return matched && !malformed;
}

}  // namespace folio::app
