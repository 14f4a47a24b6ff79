#include "factorial/factorial_command.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>

#include "cli/interrupts.hpp"
#include "cli/output_journal.hpp"
#include "cli/run_variant.hpp"
#include "factorial/factorial_entry.hpp"
#include "factorial/factorial_job.hpp"

namespace rankpool::factorial {

namespace {

/// Bytes the results of `numbers` take in binary: log2(n!)/8 each.
double estimated_bytes(const NumberList& numbers) {
  double total = 0;
  for (const auto& [first, last] : numbers.ranges())
    for (std::uint64_t n = first; n <= last; ++n)
      total += std::lgamma(static_cast<double>(n) + 1) / std::log(256.0) + 1;
  return total;
}

/// --numbers-file takes at most this much text (10^6 numbers of 8 digits take 9 MB).
constexpr std::size_t kMaxNumbersFileBytes = std::size_t{64} << 20;

/// The whole of `path` ("-": stdin), refusing more than kMaxNumbersFileBytes.
std::string read_numbers_file(const std::string& path) {
  std::FILE* file = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw UsageError("--numbers-file " + path + ": " + std::strerror(errno));
  std::string text;
  char block[1 << 16];
  std::size_t got = 0;
  while ((got = std::fread(block, 1, sizeof block, file)) > 0) {
    text.append(block, got);
    if (text.size() > kMaxNumbersFileBytes) break;
  }
  const bool failed = std::ferror(file) != 0;
  const int error = errno;
  if (file != stdin) std::fclose(file);
  if (failed) throw UsageError("--numbers-file " + path + ": " + std::strerror(error));
  if (text.size() > kMaxNumbersFileBytes)
    throw UsageError("--numbers-file " + path + ": more than " + std::to_string(kMaxNumbersFileBytes >> 20) +
                     " MiB; split the list into several runs");
  return text;
}

/// FNV-1a: the same list gives the same fingerprint in every run and build.
std::uint64_t fnv1a(std::uint64_t hash, std::uint64_t value) {
  for (int byte = 0; byte < 8; ++byte) {
    hash ^= (value >> (8 * byte)) & 0xff;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

double physical_memory_bytes() {
  return static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
}

}  // namespace

FactorialCommand::FactorialCommand(CLI::App& app, bool for_compare)
    : PoolCommand(app, "factorial", "n! for every requested n, computed by the workers") {
  auto* upto =
      command_->add_option("--upto", upto_, "n = 1..N")->check(CLI::Range(std::int64_t{1}, std::int64_t(kMaxN)));
  numbers_option_ = command_->add_option("--numbers", numbers_, "comma-separated n and ranges a-b, e.g. 1-5,8,10-12");
  numbers_file_option_ = command_->add_option(
      "--numbers-file", numbers_file_, "n and ranges a-b separated by commas or whitespace, from FILE (- for stdin)");
  upto->excludes(numbers_option_);
  upto->excludes(numbers_file_option_);
  numbers_option_->excludes(numbers_file_option_);
  command_->add_option("--backend", backend_, "gmp (mpz_fac_ui) or cpp_int (a multiply loop)")
      ->check(CLI::IsMember({"gmp", "cpp_int"}))
      ->capture_default_str();
  command_->add_option("--fail-on", fail_on_, "fault injection for tests: the task for this n throws");
  if (!for_compare) add_pool_options("write n<TAB>n! (decimal) per requested n, in request order (- for stdout)");
}

FactorialJob FactorialCommand::parse() const {
  const bool has_numbers = numbers_option_->count() > 0;
  const bool has_file = numbers_file_option_->count() > 0;
  if (upto_ == 0 && !has_numbers && !has_file)
    throw UsageError("factorial needs --upto N or --numbers LIST (or --numbers-file FILE)");
  FactorialJob job;
  if (upto_ != 0)
    job.numbers = NumberList::upto(upto_);
  else if (has_file)
    job.numbers = NumberList::parse_file(read_numbers_file(numbers_file_), numbers_file_);
  else
    job.numbers = NumberList::parse(numbers_);
  job.backend = parse_backend(backend_);
  job.encoding = options_.out.empty() ? Encoding::kBinary : Encoding::kDecimal;
  if (!fail_on_.empty()) {
    auto [end, error] = std::from_chars(fail_on_.data(), fail_on_.data() + fail_on_.size(), job.fail_on);
    if (error != std::errc() || end != fail_on_.data() + fail_on_.size())
      throw UsageError("--fail-on: '" + fail_on_ + "' is not a number");
    job.has_fail_on = true;
  }
  return job;
}

std::string FactorialCommand::fingerprint(const NumberList& numbers) const {
  if (upto_ != 0) return "factorial upto " + std::to_string(upto_);
  if (numbers_file_option_->count() == 0) return "factorial " + numbers_;
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const auto& [first, last] : numbers.ranges()) hash = fnv1a(fnv1a(hash, first), last);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return "factorial " + std::to_string(numbers.size()) + " numbers " + hex;
}

cli::Workload FactorialCommand::workload() {
  const FactorialJob job = parse();
  return [job](Pool& pool, const cli::RunOptions& run) {
    return cli::run_variant(pool, job, TaskSet(job.numbers.size()), run, [](std::uint64_t, const std::string&) {});
  };
}

int FactorialCommand::run(Pool& pool) {
  const FactorialJob job = parse();
  const NumberList& numbers = job.numbers;
  if (numbers_file_option_->count() > 0) cli::check_not_an_input(options_, numbers_file_, "--numbers-file");
  cli::RunOptions run = cli::apply_pool_options(options_, pool);

  // map and map_async hold every result on the master at once: refuse what
  // would not fit rather than die of it halfway.
  const bool holds_all = run.variant == cli::Variant::kMap || run.variant == cli::Variant::kMapAsync;
  const double need = estimated_bytes(numbers) * (job.encoding == Encoding::kDecimal ? 2.41 : 1.0);
  if (holds_all && need > 0.5 * physical_memory_bytes())
    throw UsageError("factorial: the results need ~" + std::to_string(static_cast<long long>(need / (1 << 30))) +
                     " GiB, more than half of this machine's memory; use imap or imap_unordered with --out");

  std::unique_ptr<cli::OutputJournal> journal;
  TaskSet tasks(numbers.size());
  if (!options_.out.empty()) {
    journal = std::make_unique<cli::OutputJournal>(
        options_.out, fingerprint(numbers), cli::journal_mode(options_),
        [&numbers](std::uint64_t key, std::string_view payload) { check_factorial_entry(numbers, key, payload); });
    if (journal->done_count() > 0) {
      std::vector<std::uint64_t> missing;
      for (std::uint64_t i = 0; i < numbers.size(); ++i)
        if (!journal->done(i)) missing.push_back(i);
      tasks = TaskSet(std::move(missing));
    }
  }

  // Every result reaches the journal as it arrives, in every variant.
  run.on_arrival = journal != nullptr;
  // What a signal's line says: the journal's count (resumed entries too), else this run's.
  std::uint64_t arrived = 0;
  const cli::RunProgressScope progress(numbers.size(), [&arrived] { return arrived; });

  cli::note_serial_fallback(pool);
  std::uint64_t result_bytes = 0;
  const cli::RunReport report =
      cli::run_variant(pool, job, tasks, run, [&](std::uint64_t index, const std::string& wire) {
        ++arrived;
        result_bytes += wire.size();
        if (journal) journal->append(index, std::to_string(numbers.at(index)) + "\t" + wire_to_decimal(wire));
      });

  nlohmann::json extra{{"result_bytes", result_bytes}, {"backend", backend_}};
  if (journal) {
    extra["resumed"] = journal->done_count() - report.completed;
    if (report.failures.empty()) {
      journal->finish([](std::uint64_t, std::string_view payload, std::ostream& out) { out << payload << '\n'; });
    } else if (journal->resumable()) {
      std::cerr << "rankpool: partial results kept in " << journal->journal_path() << "; rerun with --resume\n";
    }
  }
  return cli::finish_run(options_, "factorial", run, pool, report, extra);
}

}  // namespace rankpool::factorial
