// kv/detail/fault_containment.h — keeping a damaged LMDB file from taking the process down.
//
// LMDB trusts its file: bytes overwritten in data.mdb's pages make it fail an assertion (and
// abort), and a data.mdb truncated under a live map makes the next touch of a missing page a
// SIGBUS or SIGSEGV. RunContained() runs a piece of L2 work so that such a fault, raised on
// this thread inside it, returns `false` from RunContained instead of ending the process:
// SIGSEGV/SIGBUS handlers and LMDB's assert callback jump back to it (siglongjmp).
//
// What a jump skips is never run: destructors, unlocks, LMDB's own cleanup. So the caller must
// treat the environment as lost afterwards — never call LMDB on it again, never close it (leak
// it), and hold no lock of its own across the contained work that anything else could wait on.
// A fault outside any contained region (or on another thread) goes to the handler that was
// installed before (the default: the process dies, as it should for a bug elsewhere).
//
// Not covered: damage that LMDB reads as valid data (caught by the value checksums instead),
// a fault while the process holds malloc's lock inside a contained region (a copy out of the
// map runs after its allocation, so L2's own copy is not in that case), and a writer in
// another process left waiting on the damaged environment's write lock.
//
// Thread-safety: RunContained may run on any number of threads at once; each guards itself.
#pragma once

#include <lmdb.h>
#include <setjmp.h>

#include <string>

namespace folio::kv::detail {

struct ContainmentFrame {
  sigjmp_buf jump;
  ContainmentFrame* outer;
};

// The innermost contained region of this thread, or nullptr. Plain pointer (constant
// initialisation), so the signal handler may read it.
extern thread_local ContainmentFrame* tls_containment;

// Installs the SIGSEGV/SIGBUS handlers once per process (idempotent, thread-safe).
void InstallFaultHandlers();

// Pass to mdb_env_set_assert: inside a contained region an LMDB assertion jumps out of it
// instead of aborting.
void OnLmdbAssert(MDB_env* env, const char* message);

// What cut the last contained region of this thread short: "SIGBUS", "SIGSEGV" or LMDB's
// assertion text.
std::string LastContainedFault();

// Runs fn(); true if it returned, false if a fault or an LMDB assertion cut it short.
// REQUIRES: InstallFaultHandlers() ran; see the header comment for what a jump leaves behind.
template <typename Fn>
bool RunContained(Fn&& fn) {
  ContainmentFrame frame;
  frame.outer = tls_containment;
  // The signal mask is not saved: that is a system call on every L2 read, and nothing needs
  // restoring — the handlers run with SA_NODEFER and an empty sa_mask, so a jump out of one
  // leaves the mask as the region found it.
  if (sigsetjmp(frame.jump, /*savemask=*/0) != 0) {
    tls_containment = frame.outer;
    return false;
  }
  tls_containment = &frame;
  fn();
  tls_containment = frame.outer;
  return true;
}

}  // namespace folio::kv::detail
