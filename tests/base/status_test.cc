#include "folio/base/status.h"

#include <gtest/gtest.h>

#include <memory>

#include "folio/base/clock.h"

namespace folio {
namespace {

TEST(StatusTest, OkIsOkAndSaysSo) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
}

TEST(StatusTest, ErrorsCarryTheirCodeAndMessage) {
  Status s = Status::InvalidArgument("limit 0 is out of range 1..100");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_FALSE(s.IsNotFound());
  EXPECT_EQ(s.ToString(), "invalid argument: limit 0 is out of range 1..100");
  Status wrapped = s.WithContext("batch operation 2");
  EXPECT_EQ(wrapped.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(wrapped.message(), "batch operation 2: limit 0 is out of range 1..100");
  EXPECT_TRUE(Status::Conflict("x").IsConflict());
  EXPECT_TRUE(Status::Corruption("x").IsCorruption());
  EXPECT_EQ(Status::TooLarge("x").ToString(), "too large: x");
}

Status FailsAtStep(int failing, int* reached) {
  for (int i = 0; i < 3; ++i) {
    *reached = i;
    FOLIO_RETURN_IF_ERROR(i == failing ? Status::IOError("step " + std::to_string(i))
                                       : Status::Ok());
  }
  return Status::Ok();
}

TEST(StatusTest, ReturnIfErrorStopsAtTheFirstError) {
  int reached = -1;
  Status s = FailsAtStep(1, &reached);
  EXPECT_EQ(reached, 1);
  EXPECT_EQ(s.message(), "step 1");
  EXPECT_TRUE(FailsAtStep(7, &reached).ok());
  EXPECT_EQ(reached, 2);
}

TEST(ResultTest, HoldsAValueOrAnError) {
  Result<int> value = 42;
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 42);
  EXPECT_TRUE(value.status().ok());
  Result<int> error = Status::NotFound("no such thing");
  EXPECT_FALSE(error.ok());
  EXPECT_TRUE(error.status().IsNotFound());
}

TEST(ResultTest, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  std::unique_ptr<int> taken = *std::move(r);
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 7);
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(1'000'000);
  EXPECT_EQ(clock.NowMicros(), 1'000'000);
  EXPECT_EQ(clock.NowSeconds(), 1);
  clock.AdvanceSeconds(2);
  EXPECT_EQ(clock.NowMicros(), 3'000'000);
  clock.SetMicros(5);
  EXPECT_EQ(clock.NowMicros(), 5);
  EXPECT_GT(Clock::Real()->NowSeconds(), 1'600'000'000);  // after 2020
}

}  // namespace
}  // namespace folio
