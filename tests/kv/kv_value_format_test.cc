// The stored value format (kv/detail/value_format.h): every header check rejects what it should.

#include "detail/value_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "kv_test_util.h"

namespace folio::kv::detail {
namespace {

std::string Encode(std::string_view payload, int64_t expires_at = 0, int64_t inserted_at = 7) {
  std::string out(kValueHeaderBytes + payload.size(), '\0');
  EncodeValue(expires_at, inserted_at, payload, out.data());
  return out;
}

TEST(ValueFormatTest, RoundTripsHeaderAndPayload) {
  const std::string payload = testing::MakeValue(1000, 3);
  const std::string stored = Encode(payload, 123, 456);
  ValueHeader header;
  std::string_view view;
  ASSERT_EQ(DecodeValue(stored, true, &header, &view), DecodeResult::kOk);
  EXPECT_EQ(view, payload);
  EXPECT_EQ(view.data(), stored.data() + kValueHeaderBytes) << "the payload is not copied";
  EXPECT_EQ(header.expires_at_micros, 123);
  EXPECT_EQ(header.inserted_at_micros, 456);
  EXPECT_EQ(header.payload_bytes, 1000u);
  EXPECT_EQ(header.checksum, PayloadChecksum(payload));
}

TEST(ValueFormatTest, EveryDamageIsDetected) {
  const std::string good = Encode(testing::MakeValue(64, 1));
  ValueHeader header;
  std::string_view view;

  EXPECT_EQ(DecodeValue(good.substr(0, kValueHeaderBytes - 1), true, &header, &view),
            DecodeResult::kTooShort);

  std::string bad_magic = good;
  bad_magic[0] = static_cast<char>(bad_magic[0] ^ 1);
  EXPECT_EQ(DecodeValue(bad_magic, true, &header, &view), DecodeResult::kBadMagic);

  std::string bad_version = good;
  bad_version[4] = 2;
  EXPECT_EQ(DecodeValue(bad_version, true, &header, &view), DecodeResult::kBadVersion);

  EXPECT_EQ(DecodeValue(good.substr(0, good.size() - 1), true, &header, &view),
            DecodeResult::kLengthMismatch);
  EXPECT_EQ(DecodeValue(good + "x", true, &header, &view), DecodeResult::kLengthMismatch);

  for (size_t i = kValueHeaderBytes; i < good.size(); ++i) {
    std::string flipped = good;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x80);
    EXPECT_EQ(DecodeValue(flipped, true, &header, &view), DecodeResult::kBadChecksum) << i;
    EXPECT_EQ(DecodeValue(flipped, false, &header, &view), DecodeResult::kOk) << i;
  }

  std::string bad_sum = good;
  bad_sum[24] = static_cast<char>(bad_sum[24] ^ 1);
  EXPECT_EQ(DecodeValue(bad_sum, true, &header, &view), DecodeResult::kBadChecksum);
}

TEST(ValueFormatTest, EmptyPayloadIsValid) {
  const std::string stored = Encode("");
  ValueHeader header;
  std::string_view view;
  ASSERT_EQ(DecodeValue(stored, true, &header, &view), DecodeResult::kOk);
  EXPECT_TRUE(view.empty());
}

}  // namespace
}  // namespace folio::kv::detail
