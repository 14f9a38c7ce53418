// Status and Result<T>: how every folio module reports errors across its boundary.
//
// A Status is either OK or a code with a message that names what was wrong ("limit 0 is out of
// range 1..100"). Not-found is an ordinary result, not an exception. Exceptions never cross a
// module boundary: code that calls a throwing library catches and converts to a Status.
//
// Result<T> holds either a T or a non-OK Status. Both are values: cheap to move, safe to copy,
// and not thread-safe to mutate concurrently (like any value type).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace folio {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,          // the thing asked for does not exist (or is not visible to the caller)
    kInvalidArgument,   // the caller's input is wrong; the message says which part
    kConflict,          // a uniqueness or state rule refused the write (HTTP 409)
    kTooLarge,          // input over a documented size limit (HTTP 413)
    kPermissionDenied,  // the caller may not do this
    kCorruption,        // stored bytes failed verification
    kIOError,           // the OS or a library failed an I/O operation
    kBusy,              // a lock or resource was held too long; retrying may succeed
    kUnavailable,       // a component is closed, missing or disabled
    kNoSpace,           // the disk (or a configured size) is full; retry once space is freed
    kInternal,          // a broken invariant; a bug
  };

  Status() noexcept = default;

  static Status Ok() noexcept { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  static Status TooLarge(std::string msg) { return Status(Code::kTooLarge, std::move(msg)); }
  static Status PermissionDenied(std::string msg) {
    return Status(Code::kPermissionDenied, std::move(msg));
  }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status NoSpace(std::string msg) { return Status(Code::kNoSpace, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const noexcept { return code_ == Code::kOk; }
  Code code() const noexcept { return code_; }
  bool IsNotFound() const noexcept { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const noexcept { return code_ == Code::kInvalidArgument; }
  bool IsConflict() const noexcept { return code_ == Code::kConflict; }
  bool IsCorruption() const noexcept { return code_ == Code::kCorruption; }
  const std::string& message() const noexcept { return message_; }

  // The same error with "<context>: " in front of its message; OK stays OK.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    std::string msg(context);
    msg += ": ";
    msg += message_;
    return Status(code_, std::move(msg));
  }

  // "invalid argument: limit 0 is out of range 1..100", or "ok".
  std::string ToString() const {
    if (ok()) return "ok";
    std::string out(CodeName(code_));
    out += ": ";
    out += message_;
    return out;
  }

  static std::string_view CodeName(Code code) noexcept {
    switch (code) {
      case Code::kOk:
        return "ok";
      case Code::kNotFound:
        return "not found";
      case Code::kInvalidArgument:
        return "invalid argument";
      case Code::kConflict:
        return "conflict";
      case Code::kTooLarge:
        return "too large";
      case Code::kPermissionDenied:
        return "permission denied";
      case Code::kCorruption:
        return "corruption";
      case Code::kIOError:
        return "io error";
      case Code::kBusy:
        return "busy";
      case Code::kUnavailable:
        return "unavailable";
      case Code::kNoSpace:
        return "no space";
      case Code::kInternal:
        return "internal";
    }
    return "unknown";
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or the reason there is none.
// REQUIRES: a Result is never built from an OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    assert(!std::get<1>(state_).ok() && "Result built from an OK status");
  }

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // REQUIRES: ok()
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; Status::Ok() when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<1>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace folio

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define FOLIO_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::folio::Status folio_status_ = (expr);        \
    if (!folio_status_.ok()) return folio_status_; \
  } while (0)
