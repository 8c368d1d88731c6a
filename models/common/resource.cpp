// Reservation calendar and slot pool: see resource.h.
#include "models/common/resource.h"

#include <algorithm>

namespace slm {
using sc_core::sc_time;

void Resource::forget_past() {
  const uint64_t now = sc_core::sc_time_stamp().value();
  while (!busy_.empty() && busy_.front().end_fs <= now) busy_.pop_front();
}

sc_time Resource::probe(const sc_time& earliest, const sc_time& duration) const {
  uint64_t s = earliest.value();
  const uint64_t d = duration.value();
  // Intervals are sorted: skip those ending at or before s, then look for a gap.
  auto it = std::upper_bound(busy_.begin(), busy_.end(), s,
                             [](uint64_t v, const Interval& iv) { return v < iv.end_fs; });
  for (; it != busy_.end(); ++it) {
    if (s + d <= it->begin_fs) break;  // fits before this interval
    s = std::max(s, it->end_fs);
  }
  return sc_time::from_value(s);
}

void Resource::book(const sc_time& start, const sc_time& duration) {
  const uint64_t b = start.value(), e = b + duration.value();
  if (e == b) return;
  busy_fs_ += e - b;
  if (busy_.empty() || busy_.back().end_fs <= b) {  // fast path: append or extend at the end
    if (!busy_.empty() && busy_.back().end_fs == b)
      busy_.back().end_fs = e;
    else
      busy_.push_back({b, e});
    forget_past();
    return;
  }
  auto it = std::lower_bound(busy_.begin(), busy_.end(), b,
                             [](const Interval& iv, uint64_t v) { return iv.begin_fs < v; });
  it = busy_.insert(it, {b, e});
  // Merge with touching neighbours (probe() guarantees no overlap).
  auto next = it + 1;
  if (next != busy_.end() && next->begin_fs == e) {
    it->end_fs = next->end_fs;
    it = busy_.erase(next) - 1;
  }
  if (it != busy_.begin() && (it - 1)->end_fs == b) {
    (it - 1)->end_fs = it->end_fs;
    busy_.erase(it);
  }
  forget_past();
}

sc_time Resource::reserve(const sc_time& earliest, const sc_time& duration) {
  const sc_time s = probe(earliest, duration);
  book(s, duration);
  return s;
}

sc_time SlotPool::acquire(const sc_time& t) {
  last_ = static_cast<size_t>(std::min_element(free_at_fs_.begin(), free_at_fs_.end()) - free_at_fs_.begin());
  return sc_time::from_value(std::max<uint64_t>(t.value(), free_at_fs_[last_]));
}

void SlotPool::release_at(const sc_time& done) { free_at_fs_[last_] = done.value(); }

}  // namespace slm
