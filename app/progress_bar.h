// A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise.
// Not thread-safe: one thread reports progress.
#pragma once

#include <cstdint>
#include <string>

namespace folio::app {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  ~ProgressBar();
  void Update(int64_t done);

 private:
  std::string label_;
  int64_t total_;
  int last_percent_ = -1;
  bool tty_;
};

}  // namespace folio::app
