// BackgroundFdSink: an spdlog sink that never makes a logging thread wait for the disk or a
// pipe. A line is formatted on the caller's thread and appended to a pending buffer under a
// short lock; one background thread writes everything pending with one write(2) per batch.
// Under load a batch holds many lines, so the access log costs a memcpy per request instead
// of a locked write-and-flush (spdlog's stderr sink), which the I/O threads paid before.
//
// Bounded: when the reader of the file descriptor falls `max_pending_bytes` behind, new lines
// are dropped (an I/O thread is never blocked on a log), counted, and the count is written as
// a line of its own once the writer catches up. flush() returns when everything logged before
// it is written. Thread-safe, as every spdlog sink; the descriptor is borrowed, not closed.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace folio::app {

class BackgroundFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // The line written in place of `dropped` lines the reader was too slow for (with its
  // newline), in the log's own format.
  using DropNotice = std::function<std::string(uint64_t dropped)>;
  BackgroundFdSink(int fd, size_t max_pending_bytes, DropNotice drop_notice);
  // Writes what is pending, then stops the writer.
  ~BackgroundFdSink() override;
  BackgroundFdSink(const BackgroundFdSink&) = delete;
  BackgroundFdSink& operator=(const BackgroundFdSink&) = delete;

  // Lines dropped because the reader fell behind, since the sink was made.
  uint64_t dropped();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  void WriterLoop();
  void WriteAll(const std::string& bytes);

  const int fd_;
  const size_t max_pending_bytes_;
  const DropNotice drop_notice_;
  // Guarded by base_sink's mutex_.
  std::string pending_;
  uint64_t dropped_ = 0, dropped_reported_ = 0;
  uint64_t appended_ = 0, written_upto_ = 0;  // lines: flush() waits until all are written
  bool stopping_ = false;
  std::string writing_;  // the writer's batch (its own thread only)
  std::condition_variable_any work_, written_;
  std::thread writer_;
};

}  // namespace folio::app
