// Decoders for the content codings the service sends (zlib's gunzip, libbrotli's decoder), so
// tests compare what a client would read with the identity body. nullopt when the bytes do
// not decode completely.
#pragma once

#include <brotli/decode.h>
#include <zlib.h>

#include <optional>
#include <string>
#include <string_view>

namespace folio::test {

inline std::optional<std::string> Gunzip(std::string_view coded) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return std::nullopt;
  std::string out;
  char buffer[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(coded.data()));
  z.avail_in = static_cast<uInt>(coded.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  if (!whole) return std::nullopt;
  return out;
}

inline std::optional<std::string> Unbrotli(std::string_view coded) {
  BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  if (state == nullptr) return std::nullopt;
  std::string out;
  size_t available_in = coded.size();
  const uint8_t* next_in = reinterpret_cast<const uint8_t*>(coded.data());
  BrotliDecoderResult rc = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
  while (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
    uint8_t buffer[16384];
    size_t available_out = sizeof buffer;
    uint8_t* next_out = buffer;
    rc = BrotliDecoderDecompressStream(state, &available_in, &next_in, &available_out, &next_out,
                                       nullptr);
    out.append(reinterpret_cast<const char*>(buffer), sizeof buffer - available_out);
  }
  BrotliDecoderDestroyInstance(state);
  if (rc != BROTLI_DECODER_RESULT_SUCCESS || available_in != 0) return std::nullopt;
  return out;
}

}  // namespace folio::test
