// storage/detail/uuid: ids are well-formed v7 UUIDs in creation order, and a forked child draws
// ids of its own (a copy of the parent's generator would repeat the parent's next ids).
#include "detail/uuid.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <set>
#include <string>

namespace folio::storage::detail {
namespace {

TEST(UuidTest, IdsAreVersion7AndSortByTheirMillisecond) {
  const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::string earlier = NewUuidV7(1'700'000'000'000);
  const std::string later = NewUuidV7(1'700'000'000'001);
  EXPECT_TRUE(std::regex_match(earlier, form)) << earlier;
  EXPECT_LT(earlier, later);
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i)
    seen.insert(NewUuidV7(1'700'000'000'000));
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(UuidTest, AForkedChildDrawsIdsOfItsOwn) {
  (void)NewUuidV7(1'700'000'000'000);  // this thread's generator exists before the fork
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string id = NewUuidV7(1'700'000'000'000);
    const bool sent = ::write(fds[1], id.data(), id.size()) == static_cast<ssize_t>(id.size());
    ::_exit(sent ? 0 : 1);
  }
  ::close(fds[1]);
  const std::string parents = NewUuidV7(1'700'000'000'000);
  std::string childs(36, '\0');
  ssize_t got = 0;
  while (got < 36) {
    const ssize_t n = ::read(fds[0], childs.data() + got, static_cast<size_t>(36 - got));
    if (n <= 0) break;
    got += n;
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, 36);
  EXPECT_NE(childs, parents);
}

}  // namespace
}  // namespace folio::storage::detail
