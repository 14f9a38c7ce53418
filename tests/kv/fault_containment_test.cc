// kv/detail/fault_containment: a fault inside a contained region returns false from
// RunContained, again and again, and leaves the thread's signal mask as it found it (the
// region does not save the mask; the handlers must not change it).
#include "detail/fault_containment.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

namespace folio::kv::detail {
namespace {

// A page the process may not touch: reading it is a real SIGSEGV, as a damaged map gives.
class GuardPage {
 public:
  GuardPage() : size_(static_cast<size_t>(sysconf(_SC_PAGESIZE))) {
    addr_ = mmap(nullptr, size_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  ~GuardPage() {
    if (addr_ != MAP_FAILED) munmap(addr_, size_);
  }
  bool ok() const { return addr_ != MAP_FAILED; }
  const volatile char* bytes() const { return static_cast<const volatile char*>(addr_); }

 private:
  size_t size_;
  void* addr_;
};

sigset_t CurrentMask() {
  sigset_t mask;
  sigemptyset(&mask);
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return mask;
}

bool SameMask(const sigset_t& a, const sigset_t& b) {
  for (int signo = 1; signo < NSIG; ++signo) {
    if (sigismember(&a, signo) != sigismember(&b, signo)) return false;
  }
  return true;
}

TEST(FaultContainmentTest, RepeatedFaultsAreEachContainedAndLeaveTheSignalMaskAlone) {
  InstallFaultHandlers();
  GuardPage guard;
  ASSERT_TRUE(guard.ok());
  const sigset_t before = CurrentMask();
  for (int round = 0; round < 3; ++round) {
    volatile char sink = 0;
    const bool finished = RunContained([&] { sink = guard.bytes()[0]; });
    EXPECT_FALSE(finished) << "round " << round;
    EXPECT_EQ(LastContainedFault(), "SIGSEGV");
    EXPECT_TRUE(SameMask(before, CurrentMask())) << "round " << round;
    (void)sink;
  }
}

TEST(FaultContainmentTest, WorkThatFinishesReturnsTrueAndNestedRegionsUnwindToTheirOwnFrame) {
  InstallFaultHandlers();
  GuardPage guard;
  ASSERT_TRUE(guard.ok());
  bool inner_finished = true;
  int after_inner = 0;
  const bool outer_finished = RunContained([&] {
    inner_finished = RunContained([&] {
      volatile char sink = guard.bytes()[0];
      (void)sink;
    });
    after_inner = 1;  // the outer region goes on after the inner one was cut short
  });
  EXPECT_TRUE(outer_finished);
  EXPECT_FALSE(inner_finished);
  EXPECT_EQ(after_inner, 1);
  EXPECT_EQ(tls_containment, nullptr);
}

}  // namespace
}  // namespace folio::kv::detail
