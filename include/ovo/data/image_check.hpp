// Every file of an image folder decoded up front, on several threads, to list the undecodable ones.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ovo/data/image_decode.hpp"
#include "ovo/data/image_folder.hpp"

namespace ovo::data {

// Reads and decodes every file of `folder` on `threads` threads (0: one per core) and returns
// those that cannot be read or decoded, with the reader's error, in path order. on_progress(n) is
// called each time n files, a multiple of progress_every, have been checked, one call at a time.
// Errors other than an unreadable or undecodable file (out of memory) are rethrown.
inline std::vector<undecodable_image> find_undecodable_images(
    const image_folder& folder, unsigned threads = 0,
    const std::function<void(std::size_t checked)>& on_progress = {},
    std::size_t progress_every = 10000) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(
      std::min<std::size_t>(threads, std::max<std::size_t>(folder.size(), 1)));
  std::atomic<std::size_t> next{0}, checked{0};
  std::mutex mutex;  // guards the three below and on_progress
  std::vector<std::pair<std::size_t, std::string>> found;
  std::size_t reported = 0;
  std::exception_ptr failure;
  auto check = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < folder.size();) {
      try {
        read_image(folder.path(i));
      } catch (const std::runtime_error& e) {
        const std::lock_guard lock(mutex);
        found.emplace_back(i, e.what());
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        next = folder.size();
      }
      const std::size_t done = ++checked;
      if (on_progress && progress_every > 0 && done % progress_every == 0) {
        const std::lock_guard lock(mutex);
        if (done > reported) on_progress(reported = done);
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(check);
    check();
  }
  if (failure) std::rethrow_exception(failure);
  std::ranges::sort(found);
  std::vector<undecodable_image> out;
  for (auto& [index, reason] : found) out.push_back({folder.path(index), std::move(reason)});
  return out;
}

}  // namespace ovo::data
