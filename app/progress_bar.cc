#include "progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace folio::app {

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)), total_(total > 0 ? total : 1), tty_(::isatty(2) != 0) {}

ProgressBar::~ProgressBar() {
  if (tty_ && last_percent_ >= 0) std::fputc('\n', stderr);
}

void ProgressBar::Update(int64_t done) {
  int percent = static_cast<int>(done * 100 / total_);
  if (percent == last_percent_) return;
  if (!tty_ && percent / 10 == last_percent_ / 10 && percent != 100) return;
  last_percent_ = percent;
  constexpr int kWidth = 30;
  int filled = percent * kWidth / 100;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "%s%s [%s] %3d%% %lld/%lld%s", tty_ ? "\r" : "", label_.c_str(), bar.c_str(),
               percent, static_cast<long long>(done), static_cast<long long>(total_),
               tty_ ? "" : "\n");
  std::fflush(stderr);
}

}  // namespace folio::app
