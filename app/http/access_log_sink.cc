#include "http/access_log_sink.h"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace folio::app {

BackgroundFdSink::BackgroundFdSink(int fd, size_t max_pending_bytes, DropNotice drop_notice)
    : fd_(fd), max_pending_bytes_(max_pending_bytes), drop_notice_(std::move(drop_notice)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

BackgroundFdSink::~BackgroundFdSink() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    work_.notify_one();
  }
  writer_.join();
}

uint64_t BackgroundFdSink::dropped() {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

void BackgroundFdSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t line;
  formatter_->format(msg, line);
  if (pending_.size() + line.size() > max_pending_bytes_) {
    ++dropped_;
    work_.notify_one();  // the writer reports drops even when nothing else is pending
    return;
  }
  const bool was_empty = pending_.empty();
  pending_.append(line.data(), line.size());
  ++appended_;
  if (was_empty) work_.notify_one();
}

void BackgroundFdSink::flush_() {
  // base_sink::flush holds mutex_; the wait releases it while the writer works.
  const uint64_t target = appended_;
  written_.wait(mutex_, [&] { return written_upto_ >= target; });
}

void BackgroundFdSink::WriterLoop() {
  // A reader that closed the pipe must not end the process: write() then fails with EPIPE
  // and the batch is given up (SIGPIPE, blocked here, stays pending on this thread).
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_.wait(lock,
               [&] { return !pending_.empty() || stopping_ || dropped_ > dropped_reported_; });
    if (pending_.empty() && dropped_ == dropped_reported_ && stopping_) return;
    writing_.swap(pending_);
    const uint64_t batch_upto = appended_;
    const uint64_t newly_dropped = dropped_ - dropped_reported_;
    dropped_reported_ = dropped_;
    lock.unlock();
    if (newly_dropped > 0 && drop_notice_) WriteAll(drop_notice_(newly_dropped));
    WriteAll(writing_);
    writing_.clear();  // keeps its capacity for the next batch
    lock.lock();
    written_upto_ = batch_upto;
    written_.notify_all();
  }
}

void BackgroundFdSink::WriteAll(const std::string& bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed or broken descriptor: nothing more can be done
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace folio::app
