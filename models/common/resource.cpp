// Reservation calendar and slot pool: see resource.h.
#include "models/common/resource.h"

#include <algorithm>

namespace slm {
using sc_core::sc_time;

namespace {
// std::upper_bound(first, last, x, less) for a query that usually lands near the end (a master
// asking about times just before its latest bookings): a few steps back from the end, then a
// binary search over what is left. Same result.
template <typename It, typename T, typename Less>
It upper_bound_from_end(It first, It last, const T& x, Less less) {
  It it = last;
  for (int steps = 0; it != first && less(x, *(it - 1)); ++steps) {
    if (steps == 16) return std::upper_bound(first, it, x, less);
    --it;
  }
  return it;
}
}  // namespace

void Resource::compact() {
  busy_.erase(busy_.begin(), busy_.begin() + static_cast<std::ptrdiff_t>(head_));
  head_ = 0;
}

sc_time Resource::probe(const sc_time& earliest, const sc_time& duration) const {
  return sc_time::from_value(probe_fs(earliest.value(), duration.value()));
}

uint64_t Resource::probe_gap(uint64_t earliest, uint64_t d) const {
  uint64_t s = earliest;
  // Intervals are sorted: skip those ending at or before s, then look for a gap.
  auto it = upper_bound_from_end(busy_.begin() + static_cast<std::ptrdiff_t>(head_), busy_.end(), s,
                                 [](uint64_t v, const Interval& iv) { return v < iv.end_fs; });
  for (; it != busy_.end(); ++it) {
    if (s + d <= it->begin_fs) break;  // fits before this interval
    s = std::max(s, it->end_fs);
  }
  return s;
}

void Resource::book(const sc_time& start, const sc_time& duration) { book_fs(start.value(), duration.value()); }

void Resource::book_fs(uint64_t b, uint64_t duration) { book_fs(b, duration, sc_core::sc_time_stamp().value()); }

void Resource::book_slow(uint64_t b, uint64_t duration, uint64_t now) {
  const uint64_t e = b + duration;
  busy_fs_ += e - b;
  if (head_ == busy_.size() || busy_.back().end_fs <= b) {  // append at the end
    busy_.push_back({b, e});
    forget_past(now);
    return;
  }
  auto it = std::lower_bound(busy_.begin() + static_cast<std::ptrdiff_t>(head_), busy_.end(), b,
                             [](const Interval& iv, uint64_t v) { return iv.begin_fs < v; });
  it = busy_.insert(it, {b, e});
  // Merge with touching neighbours (probe() guarantees no overlap).
  auto next = it + 1;
  if (next != busy_.end() && next->begin_fs == e) {
    it->end_fs = next->end_fs;
    it = busy_.erase(next) - 1;
  }
  if (it != busy_.begin() + static_cast<std::ptrdiff_t>(head_) && (it - 1)->end_fs == b) {
    (it - 1)->end_fs = it->end_fs;
    busy_.erase(it);
  }
  forget_past(now);
}

sc_time Resource::reserve(const sc_time& earliest, const sc_time& duration) {
  return sc_time::from_value(reserve_fs(earliest.value(), duration.value()));
}

uint64_t Resource::reserve_fs(uint64_t earliest, uint64_t duration) {
  return reserve_fs(earliest, duration, sc_core::sc_time_stamp().value());
}

void SlotPool::Sorted::insert_sorted(uint64_t t) { v.insert(std::upper_bound(v.begin() + head, v.end(), t), t); }

void SlotPool::Sorted::compact() {
  v.erase(v.begin(), v.begin() + head);
  head = 0;
}

sc_time SlotPool::acquire(const sc_time& t) { return sc_time::from_value(acquire_fs(t.value())); }

uint64_t SlotPool::acquire_fs(uint64_t t) { return acquire_fs(t, sc_core::sc_time_stamp().value()); }

// The first s in {t} and the ends after t at which fewer than `slots` transactions are in flight.
// Both lists are sorted, so from one candidate s to the next (the next end) the two positions
// only move forward: a walk, not two searches per candidate (a request in the middle of a
// saturated stream steps over every end of it).
uint64_t SlotPool::acquire_search(uint64_t t) {
  uint64_t s = t;
  const auto b0 = begins_fs_.v.begin() + begins_fs_.head, b1 = begins_fs_.v.end();
  const auto e0 = ends_fs_.v.begin() + ends_fs_.head, e1 = ends_fs_.v.end();
  const auto less = [](uint64_t a, uint64_t b) { return a < b; };
  auto e = upper_bound_from_end(e0, e1, s, less);  // the first end after s
  auto b = upper_bound_from_end(b0, b1, s, less);  // the first begin after s
  while ((b - b0) - (e - e0) >= static_cast<std::ptrdiff_t>(slots_)) {
    s = *e;  // all slots held at s: retry when the next transaction ends
    while (e != e1 && *e <= s) ++e;
    while (b != b1 && *b <= s) ++b;
  }
  start_fs_ = s;
  return s;
}

void SlotPool::release_at(const sc_time& done) { release_at_fs(done.value()); }

}  // namespace slm
