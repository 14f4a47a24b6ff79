#include "reposts/reposts_job.hpp"

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "rankpool/rate_budget.hpp"
#include "reposts/multi_fetcher.hpp"
#include "reposts/weibo_client.hpp"

namespace rankpool::reposts {

namespace {

/// One client (and one multi fetcher) per worker process, kept across tasks
/// and jobs so connections stay alive; rebuilt only when the settings change.
struct SharedClients {
  std::string key;
  std::unique_ptr<RateBudget> budget;
  std::unique_ptr<WeiboClient> client;
  std::unique_ptr<MultiFetcher> fetcher;
};

SharedClients& shared_clients(const RepostsJob& job) {
  static SharedClients shared;
  const std::string key = job.api_base + '\n' + job.access_token + '\n' + std::to_string(job.connect_timeout_ms) +
                          '\n' + std::to_string(job.timeout_ms) + '\n' + std::to_string(job.max_retries) + '\n' +
                          job.ca_file + '\n' + std::to_string(job.max_rps) + '\n' + std::to_string(job.inflight) +
                          '\n' + std::to_string(job.max_backoff_ms);
  if (!shared.client || shared.key != key) {
    ClientOptions options;
    options.api_base = job.api_base;
    options.access_token = job.access_token;
    options.connect_timeout = std::chrono::milliseconds(job.connect_timeout_ms);
    options.timeout = std::chrono::milliseconds(job.timeout_ms);
    options.max_retries = job.max_retries;
    options.ca_file = job.ca_file;
    options.backoff_max = std::chrono::milliseconds(job.max_backoff_ms);
    // One budget per API for the run: the master leases its slots to whichever workers fetch.
    shared.budget = job.max_rps > 0 ? std::make_unique<RateBudget>("reposts " + job.api_base, job.max_rps) : nullptr;
    if (shared.budget) options.before_request = [budget = shared.budget.get()] { budget->acquire(); };
    shared.fetcher = job.inflight > 1 ? std::make_unique<MultiFetcher>(options, job.inflight) : nullptr;
    shared.client = std::make_unique<WeiboClient>(std::move(options));
    shared.key = key;
  }
  return shared;
}

std::string page_payload(const RepostPage& page, const ClientStats& before, const ClientStats& after) {
  std::string out = nlohmann::json{{"total", page.total_number},
                                   {"requests", after.requests - before.requests},
                                   {"retries", after.retries - before.retries}}
                        .dump();
  out += '\n';
  std::size_t size = out.size();
  for (const Repost& repost : page.reposts) size += repost.json.size() + 22;
  out.reserve(size);
  for (const Repost& repost : page.reposts) {
    out += std::to_string(repost.id);
    out += '\t';
    out += repost.json;
    out += '\n';
  }
  return out;
}

/// What task `index` asks for: its post's page.
PageRequest request_of(const RepostsJob& job, std::uint64_t index) {
  const auto& [post, page] = job.pages.at(index);
  return PageRequest{job.mids.at(post), job.count, static_cast<int>(page)};
}

/// One page with the job's one-at-a-time client, its failure as an outcome.
Outcome<std::string> one_page(const RepostsJob& job, std::uint64_t index) {
  Outcome<std::string> outcome;
  try {
    outcome.value = job(index);
  } catch (const std::exception& error) {
    outcome.error = error.what();
  }
  return outcome;
}

}  // namespace

std::string RepostsJob::operator()(std::uint64_t index) const {
  const PageRequest request = request_of(*this, index);
  WeiboClient& client = *shared_clients(*this).client;
  const ClientStats before = client.stats();
  const RepostPage result = client.fetch_page(request.mid, request.count, request.page);
  return page_payload(result, before, client.stats());
}

std::vector<Outcome<std::string>> RepostsJob::run_many(std::span<const std::uint64_t> indices) const {
  std::vector<Outcome<std::string>> out(indices.size());
  SharedClients& shared = shared_clients(*this);
  if (!shared.fetcher) {
    for (std::size_t i = 0; i < indices.size(); ++i) out[i] = one_page(*this, indices[i]);
    return out;
  }
  std::vector<PageRequest> requests;
  for (std::uint64_t index : indices) requests.push_back(request_of(*this, index));
  const ClientStats before = shared.fetcher->stats();
  try {
    // Each page on its own: a deleted post fails its pages, not the chunk.
    const std::vector<PageOutcome> fetched = shared.fetcher->fetch_each(requests);
    const ClientStats after = shared.fetcher->stats();
    // The chunk's requests and retries are counted once, on its first page that arrived.
    bool counted = false;
    for (std::size_t i = 0; i < fetched.size(); ++i) {
      if (fetched[i].page) {
        out[i].value = page_payload(*fetched[i].page, counted ? after : before, after);
        counted = true;
      } else {
        out[i].error = fetched[i].error->what();
      }
    }
  } catch (const std::exception& error) {
    for (auto& outcome : out) outcome.error = error.what();
  }
  return out;
}

void RepostsJob::run_stream(TaskStream<std::string>& stream) const {
  SharedClients& shared = shared_clients(*this);
  if (!shared.fetcher) {
    while (auto task = stream.next()) stream.finish(task->ticket, one_page(*this, task->index));
    return;
  }
  PageSource source;
  source.next = [&]() -> std::optional<std::pair<std::uint64_t, PageRequest>> {
    auto task = stream.next();
    if (!task) return std::nullopt;
    return std::pair{task->ticket, request_of(*this, task->index)};
  };
  // Each page carries the requests and retries made since the page before it.
  ClientStats before = shared.fetcher->stats();
  source.done = [&](std::uint64_t ticket, PageOutcome fetched) {
    Outcome<std::string> outcome;
    if (fetched.page) {
      const ClientStats after = shared.fetcher->stats();
      outcome.value = page_payload(*fetched.page, before, after);
      before = after;
    } else {
      outcome.error = fetched.error->what();
    }
    stream.finish(ticket, std::move(outcome));
  };
  shared.fetcher->fetch_stream(source);
}

PageResult parse_page_header(std::string_view payload) {
  PageResult out;
  const auto header = nlohmann::json::parse(payload.substr(0, payload.find('\n')));
  out.total = header.at("total").get<std::int64_t>();
  out.requests = header.at("requests").get<std::uint64_t>();
  out.retries = header.at("retries").get<std::uint64_t>();
  return out;
}

bool page_is_empty(std::string_view payload) {
  const auto header_end = payload.find('\n');
  return header_end == std::string_view::npos || header_end + 1 >= payload.size();
}

PageResult parse_page_result(std::string_view payload) {
  PageResult out = parse_page_header(payload);
  const auto header_end = payload.find('\n');
  std::size_t at = header_end == std::string_view::npos ? payload.size() : header_end + 1;
  while (at < payload.size()) {
    auto end = payload.find('\n', at);
    if (end == std::string_view::npos) end = payload.size();
    const std::string_view line = payload.substr(at, end - at);
    const auto tab = line.find('\t');
    std::int64_t id = 0;
    if (tab == std::string_view::npos || std::from_chars(line.data(), line.data() + tab, id).ec != std::errc())
      throw std::runtime_error("reposts: malformed page result");
    out.reposts.emplace_back(id, line.substr(tab + 1));
    at = end + 1;
  }
  return out;
}

void check_page_result(std::string_view payload) {
  for (const auto& [id, json] : parse_page_result(payload).reposts) {
    const auto repost = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (!repost.is_object() || !repost.contains("id") || !repost["id"].is_number_integer() ||
        repost["id"].get<std::int64_t>() != id)
      throw std::runtime_error("repost " + std::to_string(id) + " is not a JSON object with that id");
  }
}

}  // namespace rankpool::reposts
