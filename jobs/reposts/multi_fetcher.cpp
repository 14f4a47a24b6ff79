#include "reposts/multi_fetcher.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

#include "reposts/detail/transfer.hpp"

namespace rankpool::reposts {

namespace {

using Clock = std::chrono::steady_clock;

// Longest single wait in curl_multi_poll; curl's own timers are shorter.
constexpr int kMaxPollMs = 1000;
// How long a launch drives curl for its request to leave (a connection that
// takes longer sends it later).
constexpr int kSendWaitMs = 200;
// How often a stream is asked for new pages while transfers run.
constexpr int kStreamPollMs = 5;

struct Job {
  std::size_t index = 0;
  int retry = 0;
  Clock::time_point not_before{};
};

struct Pages;

}  // namespace

struct MultiFetcher::State {
  struct Slot {
    CURL* easy = nullptr;
    detail::Transfer transfer;
    Job job;
    bool busy = false;
  };

  ClientOptions options;
  int max_in_flight;
  CURLM* multi = nullptr;
  detail::BodyBudget budget;
  std::deque<Slot> slots;  // deque: Transfer addresses stay put for curl
  std::mt19937_64 rng;
  ClientStats stats;

  State(ClientOptions opts, int in_flight)
      : options(detail::checked_options(std::move(opts))), max_in_flight(in_flight), rng(detail::make_rng(options)) {
    if (in_flight < 1) {
      throw std::invalid_argument("multi fetcher: max_in_flight must be >= 1, got " + std::to_string(in_flight));
    }
    detail::ensure_curl_global();
    multi = curl_multi_init();
    if (multi == nullptr) {
      throw std::bad_alloc();
    }
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(in_flight));
    budget.limit = options.max_answer_bytes;
    for (int i = 0; i < in_flight; ++i) {
      auto& slot = slots.emplace_back();
      slot.transfer.budget = &budget;
      slot.easy = curl_easy_init();
      if (slot.easy == nullptr) {
        cleanup();
        throw std::bad_alloc();
      }
    }
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { cleanup(); }

  void cleanup() noexcept {
    detach_all();
    for (auto& slot : slots) {
      curl_easy_cleanup(slot.easy);
      slot.easy = nullptr;
    }
    curl_multi_cleanup(multi);
    multi = nullptr;
  }

  void detach(Slot& slot) noexcept {
    curl_multi_remove_handle(multi, slot.easy);
    slot.busy = false;
    slot.transfer.release();
  }

  void detach_all() noexcept {
    for (auto& slot : slots) {
      if (slot.busy) detach(slot);
    }
  }

  void launch(Slot& slot, const Job& job, const std::vector<PageRequest>& requests) {
    const auto& request = requests[job.index];
    slot.job = job;
    slot.transfer.reset();
    slot.transfer.url = detail::page_url(options, request.mid, request.count, request.page);
    curl_easy_reset(slot.easy);
    detail::configure(slot.easy, options, slot.transfer);
    if (options.before_request) {
      options.before_request();
    }
    ++stats.requests;
    if (curl_multi_add_handle(multi, slot.easy) != CURLM_OK) {
      throw std::runtime_error("multi fetcher: curl_multi_add_handle failed");
    }
    slot.busy = true;
    send_now(slot);
  }

  // Drives curl until this request has left (or a short while has passed):
  // the next launch may wait in before_request (a rate budget's slot), and a
  // request that only connected now would leave with the next one, on a
  // reused connection the same instant, two slots' worth in one.
  void send_now(Slot& slot) {
    const auto give_up = Clock::now() + std::chrono::milliseconds(kSendWaitMs);
    for (;;) {
      int running = 0;
      curl_multi_perform(multi, &running);
      long sent = 0;  // bytes of the request sent so far
      curl_easy_getinfo(slot.easy, CURLINFO_REQUEST_SIZE, &sent);
      long code = 0;
      curl_easy_getinfo(slot.easy, CURLINFO_RESPONSE_CODE, &code);
      if (sent > 0 || code != 0 || running == 0 || Clock::now() >= give_up) return;
      curl_multi_poll(multi, nullptr, 0, 1, nullptr);
    }
  }

  // Lets transfers the budget paused try again (curl may call their write
  // callback at once, which pauses them again if there is still no room).
  void unpause_all() {
    for (auto& slot : slots) {
      if (slot.busy && slot.transfer.paused) {
        slot.transfer.paused = false;
        curl_easy_pause(slot.easy, CURLPAUSE_CONT);
      }
    }
  }

  // Every transfer waits for bytes another holds: the one holding least
  // starts over later, so the others can finish. Returns its job.
  std::optional<Job> break_deadlock() {
    Slot* victim = nullptr;
    std::size_t paused = 0;
    for (auto& slot : slots) {
      if (!slot.busy) continue;
      if (!slot.transfer.paused) return std::nullopt;
      ++paused;
      if (victim == nullptr || slot.transfer.charged < victim->transfer.charged) victim = &slot;
    }
    if (paused < 2) return std::nullopt;
    const Job job = victim->job;
    detach(*victim);
    unpause_all();
    return job;
  }

  std::vector<PageOutcome> run(const std::vector<PageRequest>& requests, bool stop_at_first_failure);
  // Pages from `source` until it gives none and none is left; `poll_ms` > 0:
  // ask it again at least that often while transfers run.
  void run(const PageSource& source, int poll_ms);
  // The steps of that run: free slots take retries that are due, then new pages;
  // finished transfers are judged (done, failed, or retried later); then a
  // wait in curl's poll.
  void fill_slots(Pages& pages);
  bool collect(Pages& pages);
  void wait_for_activity(Pages& pages, int poll_ms);
};

namespace {

/// The pages of one streaming run: every page taken from the source (by
/// Job::index), those not yet launched, and retries waiting out their backoff.
struct Pages {
  const PageSource& source;
  std::vector<PageRequest> requests;
  std::vector<std::uint64_t> ids;
  std::deque<Job> fresh;
  std::vector<Job> delayed;
  std::size_t in_flight = 0;

  /// Takes the source's next page into `fresh`; false if it has none now.
  bool take() {
    auto got = source.next();
    if (!got) return false;
    detail::check_page_args(got->second.mid, got->second.count, got->second.page);
    ids.push_back(got->first);
    requests.push_back(got->second);
    fresh.push_back(Job{requests.size() - 1, 0, {}});
    return true;
  }
  std::vector<Job>::iterator next_delayed() {
    return std::min_element(delayed.begin(), delayed.end(),
                            [](const Job& a, const Job& b) { return a.not_before < b.not_before; });
  }
};

}  // namespace

void MultiFetcher::State::fill_slots(Pages& pages) {
  const auto now = Clock::now();
  for (auto& slot : slots) {
    if (slot.busy) continue;
    auto ready = pages.next_delayed();
    if (ready != pages.delayed.end() && ready->not_before <= now) {
      const Job job = *ready;
      pages.delayed.erase(ready);
      launch(slot, job, pages.requests);
    } else if (!pages.fresh.empty() || pages.take()) {
      const Job job = pages.fresh.front();
      pages.fresh.pop_front();
      launch(slot, job, pages.requests);
    } else {
      break;
    }
    ++pages.in_flight;
  }
}

bool MultiFetcher::State::collect(Pages& pages) {
  int queued = 0;
  bool freed = false;
  while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    auto code = msg->data.result;
    auto* easy = msg->easy_handle;
    auto slot = std::find_if(slots.begin(), slots.end(), [easy](const Slot& s) { return s.easy == easy; });
    curl_multi_remove_handle(multi, easy);
    slot->busy = false;
    --pages.in_flight;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    long connects = 0;
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
    stats.connects += static_cast<std::uint64_t>(connects);
    auto outcome = detail::judge(code, status, slot->transfer, options);
    slot->transfer.release();
    freed = true;
    const auto& request = pages.requests[slot->job.index];
    const std::uint64_t id = pages.ids[slot->job.index];
    switch (outcome.verdict) {
      case detail::Verdict::kOk:
        pages.source.done(id, PageOutcome{std::move(outcome.page), std::nullopt});
        continue;
      case detail::Verdict::kPermanent:
        pages.source.done(id, PageOutcome{std::nullopt, detail::permanent_error(outcome, request.mid, request.page)});
        continue;
      case detail::Verdict::kTransient:
      case detail::Verdict::kRateLimited:
        break;
    }
    if (slot->job.retry >= options.max_retries) {
      pages.source.done(id, PageOutcome{std::nullopt, detail::exhausted_error(outcome, slot->job.retry + 1, request.mid,
                                                                              request.page)});
      continue;
    }
    ++stats.retries;
    auto wait = detail::backoff(options, slot->job.retry, outcome, rng);
    pages.delayed.push_back(Job{slot->job.index, slot->job.retry + 1, Clock::now() + wait});
  }
  return freed;
}

void MultiFetcher::State::wait_for_activity(Pages& pages, int poll_ms) {
  // Sleep in poll until a socket is ready, curl's timer fires, the next
  // retry is due, or (a stream) it is time to look for new pages: never spin.
  auto timeout = std::chrono::milliseconds(kMaxPollMs);
  const bool can_launch = pages.in_flight < slots.size();
  if (can_launch && !pages.fresh.empty()) {
    timeout = std::chrono::milliseconds(0);
  } else if (can_launch && !pages.delayed.empty()) {
    const auto next = pages.next_delayed()->not_before;
    timeout = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now()),
                         std::chrono::milliseconds(0), timeout);
  }
  if (can_launch && poll_ms > 0) timeout = std::min(timeout, std::chrono::milliseconds(poll_ms));
  if (pages.in_flight > 0 || timeout.count() > 0)
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(timeout.count()), nullptr);
}

void MultiFetcher::State::run(const PageSource& source, int poll_ms) {
  Pages pages{source, {}, {}, {}, {}, 0};
  for (;;) {
    fill_slots(pages);
    if (pages.in_flight == 0 && pages.delayed.empty() && pages.fresh.empty() && !pages.take()) return;
    int running = 0;
    curl_multi_perform(multi, &running);
    if (collect(pages)) {
      unpause_all();
    } else if (auto restart = break_deadlock()) {
      --pages.in_flight;
      pages.fresh.push_front(*restart);
    }
    wait_for_activity(pages, poll_ms);
  }
}

std::vector<PageOutcome> MultiFetcher::State::run(const std::vector<PageRequest>& requests,
                                                  bool stop_at_first_failure) {
  for (const auto& r : requests) {
    detail::check_page_args(r.mid, r.count, r.page);
  }
  std::vector<PageOutcome> results(requests.size());
  std::size_t next = 0;
  PageSource source;
  source.next = [&]() -> std::optional<std::pair<std::uint64_t, PageRequest>> {
    if (next == requests.size()) return std::nullopt;
    ++next;
    return std::pair{next - 1, requests[next - 1]};
  };
  source.done = [&](std::uint64_t index, PageOutcome outcome) {
    if (stop_at_first_failure && outcome.error) throw *outcome.error;
    results[index] = std::move(outcome);
  };
  // Looking again every few ms while a transfer is free: with a 1 s poll, a
  // list of 5 at 800 ms took 2.6 s (one transfer started a round late).
  run(source, kStreamPollMs);
  return results;
}

MultiFetcher::MultiFetcher(ClientOptions options, int max_in_flight)
    : state_(std::make_unique<State>(std::move(options), max_in_flight)) {}

MultiFetcher::~MultiFetcher() = default;
MultiFetcher::MultiFetcher(MultiFetcher&&) noexcept = default;
MultiFetcher& MultiFetcher::operator=(MultiFetcher&&) noexcept = default;

std::vector<RepostPage> MultiFetcher::fetch_pages(const std::vector<PageRequest>& requests) {
  std::vector<PageOutcome> outcomes;
  try {
    outcomes = state_->run(requests, true);
  } catch (...) {
    state_->detach_all();
    throw;
  }
  std::vector<RepostPage> pages;
  pages.reserve(outcomes.size());
  for (auto& outcome : outcomes) pages.push_back(std::move(*outcome.page));
  return pages;
}

std::vector<PageOutcome> MultiFetcher::fetch_each(const std::vector<PageRequest>& requests) {
  try {
    return state_->run(requests, false);
  } catch (...) {
    state_->detach_all();
    throw;
  }
}

ClientStats MultiFetcher::stats() const noexcept {
  ClientStats stats = state_->stats;
  stats.peak_answer_bytes = state_->budget.peak;
  return stats;
}

void MultiFetcher::fetch_stream(const PageSource& source) {
  try {
    state_->run(source, kStreamPollMs);
  } catch (...) {
    state_->detach_all();
    throw;
  }
}

int MultiFetcher::max_in_flight() const noexcept { return state_->max_in_flight; }

}  // namespace rankpool::reposts
