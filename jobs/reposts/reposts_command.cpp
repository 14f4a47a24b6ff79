#include "reposts/reposts_command.hpp"

#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "cli/interrupts.hpp"
#include "cli/output_journal.hpp"
#include "cli/run_variant.hpp"
#include "reposts/errors.hpp"
#include "reposts/inputs.hpp"
#include "reposts/mock_command.hpp"
#include "reposts/paging.hpp"
#include "reposts/reposts_job.hpp"

namespace rankpool::reposts {

namespace {

/// Journal key of a (post, page): posts in request order, pages in order.
std::uint64_t page_key(std::uint32_t post, std::uint32_t page) { return (std::uint64_t{post} << 20) | page; }

void merge_reports(cli::RunReport& into, const cli::RunReport& more) {
  into.wall_seconds += more.wall_seconds;
  into.tasks += more.tasks;
  into.completed += more.completed;
  for (const auto& [rank, count] : more.tasks_per_rank) into.tasks_per_rank[rank] += count;
  into.failures.insert(into.failures.end(), more.failures.begin(), more.failures.end());
  into.stopped_early = into.stopped_early || more.stopped_early;
  into.spans.insert(into.spans.end(), more.spans.begin(), more.spans.end());
}

}  // namespace

/// Counts what the two phases did, for the summary; which posts failed.
struct RepostsCommand::Totals {
  std::uint64_t pages = 0;
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;
  std::vector<std::int64_t> post_totals;  ///< total_number by post position, -1 until page 1 came
  std::set<std::uint32_t> failed_posts;   ///< positions of posts with a failed page
  void add(const PageResult& page) {
    ++pages;
    requests += page.requests;
    retries += page.retries;
  }
};

RepostsCommand::RepostsCommand(CLI::App& app, bool for_compare) {
  command_ = app.add_subcommand("reposts", "every repost of Weibo posts, one page per task");
  auto* mid = command_->add_option("--mid", mid_, "the post id");
  auto* file = command_->add_option("--mids-file", mids_file_, "a file of post ids, one per line (# comments)");
  mid->excludes(file);
  command_->add_option("--api-base", api_base_, "the API, e.g. a `rankpool mock-weibo` URL")->capture_default_str();
  command_->add_option("--token-file", token_file_, "read the access token here (default: $WEIBO_ACCESS_TOKEN)");
  command_->add_option("--count", count_, "reposts per page")->check(CLI::Range(1, 200))->capture_default_str();
  command_->add_option("--max-pages", max_pages_, "pages per post at most")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command_->add_option("--max-rps", max_rps_, "requests per second for the whole run, across all ranks (0: no limit)")
      ->check(cli::finite_number())
      ->check(CLI::Range(0.0, 1e6));
  command_->add_option("--connect-timeout", connect_timeout_, "seconds to connect")
      ->check(cli::finite_number())
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  command_->add_option("--timeout", timeout_, "seconds for one request")
      ->check(cli::finite_number())
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  command_->add_option("--retries", retries_, "retries of a failed request (5xx, timeout, reset, bad body, rate limit)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  command_->add_option("--max-backoff", max_backoff_, "seconds a retry waits at most, a server's Retry-After included")
      ->check(cli::finite_number())
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  command_->add_option("--ca-file", ca_file_, "CA bundle for HTTPS (default: the system's)");
  command_
      ->add_option("--inflight", inflight_,
                   "requests one worker keeps in flight (libcurl multi); chunks default to this")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  if (!for_compare)
    cli::add_pool_options(*command_, options_, "JSON Lines: each repost once, newest first per post (- for stdout)");
}

RepostsJob RepostsCommand::prepare() const {
  RepostsJob job;
  if (mid_.empty() && mids_file_.empty()) throw UsageError("reposts needs --mid ID or --mids-file FILE");
  job.mids = !mid_.empty() ? std::vector<std::int64_t>{parse_post_id(mid_)} : parse_mids_file(mids_file_);
  job.api_base = validate_api_base(api_base_);
  job.access_token =
      read_access_token(token_file_.empty() ? std::nullopt : std::optional<std::filesystem::path>(token_file_));
  job.count = count_;
  job.connect_timeout_ms = static_cast<int>(connect_timeout_ * 1000);
  job.timeout_ms = static_cast<int>(timeout_ * 1000);
  job.max_retries = retries_;
  job.max_backoff_ms = static_cast<int>(max_backoff_ * 1000);
  job.ca_file = ca_file_;
  job.inflight = inflight_;
  // One budget for the run, whichever workers are busy (rankpool::RateBudget).
  job.max_rps = max_rps_;
  return job;
}

std::string RepostsCommand::fingerprint(const RepostsJob& job) const {
  std::string text = "reposts " + job.api_base + " count " + std::to_string(count_) + " pages " +
                     std::to_string(max_pages_) + " posts";
  for (std::int64_t mid : job.mids) text += " " + std::to_string(mid);
  return "reposts " + std::to_string(std::hash<std::string>{}(text));
}

cli::RunReport RepostsCommand::fetch(Pool& pool, const cli::RunOptions& run, const RepostsJob& job,
                                     cli::OutputJournal& journal, Totals& totals) const {
  std::vector<std::int64_t>& totals_by_post = totals.post_totals;
  totals_by_post.assign(job.mids.size(), -1);
  cli::run_progress().total = 0;  // known once page 1 of every post is in
  auto note_failures = [&](const cli::RunReport& phase_report, const RepostsJob& phase) {
    for (const TaskFailure& failure : phase_report.failures)
      if (failure.index < phase.pages.size()) totals.failed_posts.insert(phase.pages[failure.index].first);
  };
  auto record = [&](std::uint64_t index, const std::string& payload, const RepostsJob& phase) {
    const auto& [post, page] = phase.pages.at(index);
    const PageResult parsed = parse_page_header(payload);
    totals.add(parsed);
    if (page == 1) totals_by_post[post] = parsed.total;
    journal.append(page_key(post, page), payload);
  };

  // Phase 1: page 1 of every post, which tells its total_number.
  RepostsJob first = job;
  std::vector<std::uint64_t> first_tasks;
  for (std::uint32_t post = 0; post < job.mids.size(); ++post) {
    first.pages.emplace_back(post, 1);
    if (journal.done(page_key(post, 1)))
      totals_by_post[post] = parse_page_header(journal.read(page_key(post, 1))).total;
    else
      first_tasks.push_back(post);
  }
  cli::RunReport report =
      cli::run_variant(pool, first, TaskSet(first_tasks), run,
                       [&](std::uint64_t index, const std::string& payload) { record(index, payload, first); });
  note_failures(report, first);
  if (!report.failures.empty() && run.on_error == cli::OnError::kStop) return report;

  // Phase 2: the other pages of every post whose page 1 came, now that its
  // total is known.
  RepostsJob rest = job;
  std::vector<std::uint64_t> rest_tasks;
  for (std::uint32_t post = 0; post < job.mids.size(); ++post) {
    if (totals_by_post[post] < 0) continue;
    const int pages = page_count(totals_by_post[post], count_, max_pages_);
    for (int page = 2; page <= pages; ++page) {
      if (!journal.done(page_key(post, static_cast<std::uint32_t>(page)))) rest_tasks.push_back(rest.pages.size());
      rest.pages.emplace_back(post, static_cast<std::uint32_t>(page));
    }
  }
  cli::run_progress().total = first.pages.size() + rest.pages.size();
  const cli::RunReport second =
      cli::run_variant(pool, rest, TaskSet(rest_tasks), run,
                       [&](std::uint64_t index, const std::string& payload) { record(index, payload, rest); });
  note_failures(second, rest);
  merge_reports(report, second);
  return report;
}

cli::Workload RepostsCommand::workload() {
  const RepostsJob job = prepare();
  return [this, job](Pool& on, const cli::RunOptions& run) {
    cli::OutputJournal nowhere("", fingerprint(job), false);
    Totals totals;
    return fetch(on, run, job, nowhere, totals);
  };
}

int RepostsCommand::run(Pool& pool) {
  const RepostsJob job = prepare();
  cli::check_not_an_input(options_, mids_file_, "--mids-file");
  cli::RunOptions run = cli::apply_pool_options(options_, pool);
  run.on_arrival = true;  // every page reaches the journal as it arrives
  // A worker overlaps the pages of one chunk: give it that many at a time.
  if (inflight_ > 1 && run.chunksize == 0 && run.variant != cli::Variant::kMap &&
      run.variant != cli::Variant::kMapAsync)
    run.chunksize = static_cast<std::uint64_t>(inflight_);
  cli::OutputJournal journal(options_.out, fingerprint(job), cli::journal_mode(options_),
                             [&](std::uint64_t key, std::string_view payload) {
                               const auto post = key >> 20;
                               const auto page = key & ((1u << 20) - 1);
                               if (post >= job.mids.size() || page < 1 || page > static_cast<std::uint64_t>(max_pages_))
                                 throw std::runtime_error("is not a page of this run's posts");
                               check_page_result(payload);
                             });
  // The journal counts the pages for a signal's line; fetch() knows their number after page 1 of every post.
  const cli::RunProgressScope progress(0, {});
  cli::note_serial_fallback(pool);
  Totals totals;
  const cli::RunReport report = fetch(pool, run, job, journal, totals);

  // With --on-error continue, what succeeded is written even if some posts
  // failed; the journal stays for --resume.
  const bool complete = report.failures.empty();
  std::uint64_t written = 0;
  if (complete || run.on_error == cli::OnError::kContinue) written = write_output(journal, job, totals, !complete);
  if (!complete && !options_.out.empty() && options_.out != "-") {
    std::cerr << "rankpool: partial results kept in " << journal.journal_path() << "; rerun with --resume\n";
  }
  nlohmann::json failed_posts = nlohmann::json::array();
  for (std::uint32_t post : totals.failed_posts) failed_posts.push_back(job.mids[post]);
  if (!totals.failed_posts.empty() && run.on_error == cli::OnError::kContinue) {
    std::string list;
    for (std::uint32_t post : totals.failed_posts) list += (list.empty() ? "" : ", ") + std::to_string(job.mids[post]);
    std::cerr << "rankpool: " << totals.failed_posts.size() << " of " << job.mids.size()
              << " posts failed, the others were fetched whole: " << list << '\n';
  }
  nlohmann::json extra{{"posts", job.mids.size()},  {"pages", totals.pages}, {"requests", totals.requests},
                       {"retries", totals.retries}, {"reposts", written},    {"failed_posts", failed_posts}};
  return cli::finish_run(options_, "reposts", run, pool, report, extra);
}

std::uint64_t RepostsCommand::write_output(cli::OutputJournal& journal, const RepostsJob& job, const Totals& totals,
                                           bool keep_journal) const {
  // The last key in the journal, where the last post's reposts get written.
  std::uint64_t last_key = 0;
  for (auto post = static_cast<std::uint32_t>(job.mids.size()); post-- > 0 && last_key == 0;) {
    if (totals.post_totals[post] < 0) continue;
    for (int page = page_count(totals.post_totals[post], count_, max_pages_); page >= 1; --page)
      if (journal.done(page_key(post, static_cast<std::uint32_t>(page)))) {
        last_key = page_key(post, static_cast<std::uint32_t>(page));
        break;
      }
  }
  // One post at a time, newest first whatever order its pages and reposts
  // came in. Pages in order: an empty page ends that post's paging, and an
  // id on two pages (new reposts shift the pages) or under an earlier post
  // is written once.
  std::unordered_set<std::int64_t> seen;
  std::uint64_t written = 0;
  std::uint32_t current_post = UINT32_MAX;
  // The buffers live across posts: fresh quarter-MB pages for every post
  // cost more in page faults than the copies into them.
  std::vector<std::string> payloads;
  std::size_t post_pages = 0;
  std::string lines;
  bool post_ended = false;
  auto flush = [&](std::ostream& out) {
    std::vector<RepostView> reposts;
    std::vector<PageResult> pages;
    pages.reserve(post_pages);
    for (std::size_t page = 0; page < post_pages; ++page) {
      pages.push_back(parse_page_result(payloads[page]));
      reposts.insert(reposts.end(), pages.back().reposts.begin(), pages.back().reposts.end());
    }
    dedupe_newest_first(reposts);
    std::erase_if(reposts, [&](const RepostView& repost) { return !seen.insert(repost.first).second; });
    // One write per post: a stream writes each line over 1 KiB on its own.
    std::size_t size = 0;
    for (const auto& repost : reposts) size += repost.second.size() + 1;
    lines.clear();
    lines.reserve(size);
    for (const auto& [id, json] : reposts) lines.append(json).push_back('\n');
    out.write(lines.data(), static_cast<std::streamsize>(lines.size()));
    written += reposts.size();
    post_pages = 0;
  };
  journal.finish(
      [&](std::uint64_t key, std::string_view payload, std::ostream& out) {
        const auto post = static_cast<std::uint32_t>(key >> 20);
        if (post != current_post) {
          flush(out);
          current_post = post;
          post_ended = false;
        }
        if (!post_ended) {
          if (post_pages == payloads.size()) payloads.emplace_back();
          payloads[post_pages++].assign(payload);
          post_ended = page_is_empty(payload);
        }
        if (key == last_key) flush(out);
      },
      keep_journal);
  return written;
}

MockWeiboCommand::MockWeiboCommand(CLI::App& app) { command_ = add_mock_weibo_options(app, options_); }

int MockWeiboCommand::run(Pool& /*pool*/) { return run_standalone(); }

int MockWeiboCommand::run_standalone() { return run_mock_weibo(options_); }

}  // namespace rankpool::reposts
