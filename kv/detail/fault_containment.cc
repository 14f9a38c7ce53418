#include "detail/fault_containment.h"

#include <signal.h>

#include <cstring>
#include <mutex>

namespace folio::kv::detail {

thread_local ContainmentFrame* tls_containment = nullptr;

namespace {

struct sigaction previous_segv {};
struct sigaction previous_bus {};
// Written by the handler (async-signal-safe: a fixed buffer, no allocation).
thread_local char tls_last_fault[160] = {};

void Remember(const char* what) {
  std::strncpy(tls_last_fault, what, sizeof tls_last_fault - 1);
  tls_last_fault[sizeof tls_last_fault - 1] = '\0';
}

void OnFaultSignal(int signo, siginfo_t* info, void* context) {
  ContainmentFrame* frame = tls_containment;
  if (frame != nullptr) {
    tls_containment = frame->outer;
    Remember(signo == SIGBUS ? "SIGBUS" : "SIGSEGV");
    siglongjmp(frame->jump, 1);
  }
  // Not ours: hand it to whoever handled it before (a sanitizer, or the default action).
  const struct sigaction& previous = signo == SIGBUS ? previous_bus : previous_segv;
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signo, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN &&
      previous.sa_handler != nullptr) {
    previous.sa_handler(signo);
    return;
  }
  // Default action: restore it; returning re-runs the faulting instruction, which now kills
  // the process with the original signal (and a core dump where enabled).
  sigaction(signo, &previous, nullptr);
}

}  // namespace

void InstallFaultHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = OnFaultSignal;
    // SA_NODEFER and an empty sa_mask: a jump out of the handler leaves the signal mask as it
    // was, which RunContained relies on (it does not save the mask).
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv);
    sigaction(SIGBUS, &action, &previous_bus);
  });
}

void OnLmdbAssert(MDB_env*, const char* message) {
  ContainmentFrame* frame = tls_containment;
  if (frame == nullptr) return;  // LMDB aborts next, as it would have
  tls_containment = frame->outer;
  Remember(message != nullptr ? message : "LMDB assertion");
  siglongjmp(frame->jump, 2);
}

std::string LastContainedFault() {
  return tls_last_fault;
}

}  // namespace folio::kv::detail
