// Fuzzes the request target of every HTTP request — the first bytes folio parses from the
// network: ParseRequestTarget's path and percent-decoding, then the listing parameters through
// the parser the service hands them to (ParseListingParams) and the CLI's flag parsers,
// and Query::CanonicalKey over what they built, since cache keys and cursors are made of it.
//
// Properties: every refusal is InvalidArgument; a parsed target, percent-encoded again,
// parses to the same segments and parameters.
#include <cctype>
#include <cstdint>
#include <string>

#include "folio/storage/types.h"
#include "fuzz_support.h"
#include "http/request_target.h"
#include "query_args.h"

namespace {

using folio::Status;
using folio::app::RequestTarget;

void CheckRefusal(const Status& s, const std::string& input) {
  FUZZ_CHECK(s.ok() || s.IsInvalidArgument(), s.ToString() + " for '" + input + "'");
}

std::string PercentEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[u >> 4], kHex[u & 0xf]};
    }
  }
  return out;
}

// The listing parameters through the service's own parser, then every value through the
// parsers the CLI hands its flags to (--where f:op:v, --facet k=v, --status, --order).
void ParseListingParams(const RequestTarget& target) {
  folio::storage::Query query;
  CheckRefusal(folio::app::ParseListingParams(target.params, query), "listing params");
  for (const auto& filter : query.filters) {
    FUZZ_CHECK(!filter.field.empty(), "a filter without a field");
    FUZZ_CHECK(!filter.values.empty(), "a filter without a value");
  }
  (void)query.CanonicalKey();
  for (const auto& [key, value] : target.params) {
    folio::storage::Query cli;
    CheckRefusal(folio::app::ParseWhere(value, cli), value);
    CheckRefusal(folio::app::ParseFacet(value, cli), value);
    CheckRefusal(folio::app::ParseStatus(value, cli), value);
    CheckRefusal(folio::app::ParseOrder(value, cli), value);
    (void)cli.CanonicalKey();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(folio::fuzz::AsText(data, size));
  auto target = folio::app::ParseRequestTarget(input);
  if (!target.ok()) {
    CheckRefusal(target.status(), input);
    return 0;
  }
  for (const auto& segment : target->segments)
    FUZZ_CHECK(!segment.empty(), input);

  std::string again;
  for (const auto& segment : target->segments)
    again += "/" + PercentEncode(segment);
  if (again.empty()) again = "/";
  char sep = '?';
  for (const auto& [key, value] : target->params) {
    again += sep + PercentEncode(key) + "=" + PercentEncode(value);
    sep = '&';
  }
  auto reparsed = folio::app::ParseRequestTarget(again);
  FUZZ_CHECK(reparsed.ok(), again);
  FUZZ_CHECK(reparsed->segments == target->segments, input + " vs " + again);
  FUZZ_CHECK(reparsed->params == target->params, input + " vs " + again);

  ParseListingParams(*target);
  return 0;
}
