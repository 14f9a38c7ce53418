// Content codings and validators for the service's cached answers: which coding a client
// accepts (Accept-Encoding), the coded bytes (gzip with zlib, br with libbrotli), entity tags
// made from a page's content tag, and If-None-Match.
//
// A page's content tag (PageRef::content_tag) names its body; each coding of it is another
// representation, so its ETag carries the coding ("<tag>-gzip"), as RFC 9110 §8.8.3 asks of a
// strong validator. If-None-Match matches any coding of the same content: the client's copy
// is current whichever coding it was sent in.
//
// Every function is pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace folio::app {

enum class ContentCoding { kIdentity, kGzip, kBrotli };

// "identity", "gzip", "br": the Content-Encoding token (identity is never sent).
const char* ContentCodingName(ContentCoding coding);

// The coding to answer a request with, from its Accept-Encoding value (RFC 9110 §12.5.3): the
// acceptable coding with the highest qvalue among br, gzip and identity, preferring br, then
// gzip, on a tie. "*" stands for every coding the header does not name; "x-gzip" is gzip;
// q=0 refuses. Identity not named (nor by "*") ranks below any acceptable coding; refused
// outright, it is still what a client gets when it accepts nothing folio makes. Elements
// that do not parse are ignored. An absent or empty header gives identity.
ContentCoding NegotiateCoding(std::string_view accept_encoding);

// Bodies shorter than this are sent as they are: coding them saves little or grows them.
inline constexpr size_t kMinCodedBytes = 512;

// The coded bytes of `body`; nullopt when the library fails (the caller sends identity).
// gzip: zlib level 6. br: quality 5, a 4 MiB window (cheap enough to run once per fill on an
// I/O thread; smaller than gzip's output on JSON pages).
std::optional<std::string> GzipBytes(std::string_view body);
std::optional<std::string> BrotliBytes(std::string_view body);
std::optional<std::string> CodedBytes(ContentCoding coding, std::string_view body);

// The ETag value of content `tag` sent in `coding`: "\"<tag>\"", "\"<tag>-gzip\"", "\"<tag>-br\"".
std::string EntityTag(std::string_view tag, ContentCoding coding);

// True when the If-None-Match value `header` matches content `tag`: it is "*", or lists an
// entity tag — weak or strong (the comparison is weak, RFC 9110 §13.1.2) — for `tag` in any
// coding. A malformed list matches nothing (the full answer is sent).
bool IfNoneMatchMatches(std::string_view header, std::string_view tag);

}  // namespace folio::app
