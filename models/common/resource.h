// Reservation-based contention for loosely-timed (LT) models.
//
// A Resource is anything that can serve one transfer at a time: a memory port, a bank,
// a bus link. A request asks for `duration` starting no earlier than `earliest` and is
// granted the first idle gap of that length at or after `earliest` (a calendar of busy
// intervals; adjacent intervals merge, so a back-to-back stream is one interval).
// Nothing waits: the caller adds the granted start to its annotated delay. This keeps
// b_transport free of context switches (fast) while still serialising contending
// masters. Accuracy/speed trade-off: with temporal decoupling a master that runs ahead
// by up to one quantum books the resource first, so the share two masters get depends on
// the quantum (tested in tests/models/resource_quantum_test.cpp, docs/timing-model.md).
// Intervals ending at or before sc_time_stamp() are forgotten (no request can start earlier).
//
// SlotPool models a limit of k concurrent transactions (max outstanding): a transaction
// holds one slot from its start to its completion. acquire(t) returns the first time >= t
// at which fewer than k earlier-booked transactions are in flight (checked at that instant;
// the completion is not known yet); release_at(done) books [start, done). Being time-aware,
// a master that runs ahead under temporal decoupling does not block one that is behind.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include <systemc>

namespace slm {

class Resource {
 public:
  // Returns the granted start (>= earliest) and books [start, start + duration).
  sc_core::sc_time reserve(const sc_core::sc_time& earliest, const sc_core::sc_time& duration);
  // First start >= earliest at which `duration` fits, without booking.
  sc_core::sc_time probe(const sc_core::sc_time& earliest, const sc_core::sc_time& duration) const;
  // Books [start, start + duration); `start` must come from probe() with nothing booked since.
  void book(const sc_core::sc_time& start, const sc_core::sc_time& duration);
  // The same three in raw femtoseconds (hot paths; see Clock::cycles_fs). `now` is the
  // current simulated time (sc_time_stamp()) when the caller already has it.
  uint64_t reserve_fs(uint64_t earliest, uint64_t duration);
  uint64_t reserve_fs(uint64_t earliest, uint64_t duration, uint64_t now) {
    const uint64_t s = probe_fs(earliest, duration);
    book_fs(s, duration, now);
    return s;
  }
  uint64_t probe_fs(uint64_t earliest, uint64_t duration) const {
    if (head_ == busy_.size() || earliest >= busy_.back().end_fs) return earliest;  // nothing booked after: the common streaming case
    // Inside the last busy interval (a stream that keeps the resource busy): its end. (What
    // probe_gap finds: the interval before ends before this one begins, so the search stops
    // here, and nothing of `duration` > 0 fits before it from `earliest`.)
    if (earliest > busy_.back().begin_fs || (earliest == busy_.back().begin_fs && duration > 0)) return busy_.back().end_fs;
    return probe_gap(earliest, duration);
  }
  void book_fs(uint64_t start, uint64_t duration);
  void book_fs(uint64_t start, uint64_t duration, uint64_t now) {
    const uint64_t e = start + duration;
    if (e == start) return;
    if (head_ < busy_.size() && busy_.back().end_fs == start) {  // extend the last interval
      busy_fs_ += duration;
      busy_.back().end_fs = e;
      forget_past(now);
      return;
    }
    if (head_ == busy_.size() || busy_.back().end_fs < start) {  // append (a gap before it)
      busy_fs_ += duration;
      busy_.push_back({start, e});
      forget_past(now);
      return;
    }
    book_slow(start, duration, now);
  }
  // Sum of all booked durations since construction (busy time, for utilisation).
  sc_core::sc_time busy_time() const { return sc_core::sc_time::from_value(busy_fs_); }

 private:
  struct Interval { uint64_t begin_fs, end_fs; };
  uint64_t probe_gap(uint64_t earliest, uint64_t duration) const;
  void book_slow(uint64_t start, uint64_t duration, uint64_t now);
  void forget_past(uint64_t now) {
    while (head_ < busy_.size() && busy_[head_].end_fs <= now) ++head_;
    if (head_ >= 1024 && head_ * 2 >= busy_.size()) compact();
  }
  void compact();
  // Sorted, disjoint, non-adjacent intervals busy_[head_..]: a vector with a moving front
  // (forgotten intervals are dropped from the front, appends are the common case).
  std::vector<Interval> busy_;
  size_t head_ = 0;
  uint64_t busy_fs_ = 0;
};

class SlotPool {
 public:
  explicit SlotPool(uint32_t slots) : slots_(slots) {}
  // First time >= t at which a slot is free; the slot is then booked by release_at().
  sc_core::sc_time acquire(const sc_core::sc_time& t);
  // Books the slot from the last acquire()'s start until `done`.
  void release_at(const sc_core::sc_time& done);
  // The same in raw femtoseconds (`now`: sc_time_stamp() when the caller has it).
  uint64_t acquire_fs(uint64_t t);
  uint64_t acquire_fs(uint64_t t, uint64_t now) {
    while (ends_fs_.size() && ends_fs_.v[ends_fs_.head] <= now) {  // forget ended transactions
      ends_fs_.pop_front();
      begins_fs_.pop_front();
    }
    const size_t n = begins_fs_.size();
    // Every booked transaction has ended by t (ends are sorted): all slots are free.
    if (n < slots_ || ends_fs_.v.back() <= t) return start_fs_ = t;
    // Every booked transaction has begun by t (the streaming case): at s >= t, in flight =
    // n - #(ends <= s), below slots exactly from the (n - slots + 1)-th smallest end on.
    if (begins_fs_.v.back() <= t) return start_fs_ = std::max(t, ends_fs_.v[ends_fs_.head + n - slots_]);
    return acquire_search(t);
  }
  void release_at_fs(uint64_t done) {
    begins_fs_.insert(start_fs_);
    ends_fs_.insert(std::max<uint64_t>(done, start_fs_ + 1));
  }
  uint32_t slots() const { return slots_; }

 private:
  // In flight at s = #(begin <= s) - #(end <= s), both by binary search. Ended
  // transactions (end <= now) are dropped together with as many of the smallest begins.
  struct Sorted {  // sorted times with cheap removal from the front
    std::vector<uint64_t> v;
    size_t head = 0;
    size_t size() const { return v.size() - head; }
    void insert(uint64_t t) {
      if (v.size() == head || v.back() <= t) v.push_back(t);
      else insert_sorted(t);
    }
    void insert_sorted(uint64_t t);
    void pop_front() {
      if (++head >= 1024 && head * 2 >= v.size()) compact();
    }
    void compact();
  };
  uint64_t acquire_search(uint64_t t);  // acquire_fs() when some booked transaction begins after t
  uint32_t slots_;
  Sorted begins_fs_, ends_fs_;
  uint64_t start_fs_ = 0;  // start returned by the last acquire()
};

}  // namespace slm
