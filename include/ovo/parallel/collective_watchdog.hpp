// A deadline on blocking calls: the process ends, saying what it waited for, when one outlasts it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace ovo::parallel {

// Ends this process when a call outlasts its deadline, after printing what it waited for: a
// blocking collective cannot be interrupted, and the launcher ends the job's other processes when
// one exits. One thread, asleep between calls.
class collective_watchdog {
 public:
  explicit collective_watchdog(double timeout_seconds)
      : timeout_(timeout_seconds), thread_([this] { watch(); }) {}
  ~collective_watchdog() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  collective_watchdog(const collective_watchdog&) = delete;
  collective_watchdog& operator=(const collective_watchdog&) = delete;

  // Runs `call` with the deadline armed; `what` is printed if it passes.
  template <class F>
  void guard(std::string what, F&& call) {
    arm(std::move(what));
    try {
      call();
    } catch (...) {
      disarm();
      throw;
    }
    disarm();
  }

 private:
  using clock = std::chrono::steady_clock;

  void arm(std::string what) {
    {
      std::lock_guard lock(mutex_);
      what_ = std::move(what);
      deadline_ = clock::now() + std::chrono::duration_cast<clock::duration>(timeout_);
      armed_ = true;
      ++generation_;
    }
    changed_.notify_all();
  }
  void disarm() {
    {
      std::lock_guard lock(mutex_);
      armed_ = false;
      ++generation_;
    }
    changed_.notify_all();
  }

  void watch() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (!armed_) {
        changed_.wait(lock);
        continue;
      }
      const auto generation = generation_;
      if (changed_.wait_until(lock, deadline_,
                              [&] { return stopping_ || generation_ != generation; }))
        continue;
      std::fputs((what_ + "\n").c_str(), stderr);
      std::fflush(stderr);
      std::_Exit(1);
    }
  }

  std::chrono::duration<double> timeout_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string what_;
  clock::time_point deadline_;
  bool armed_ = false, stopping_ = false;
  unsigned long generation_ = 0;
  std::thread thread_;  // last: started once the members it reads exist
};

}  // namespace ovo::parallel
