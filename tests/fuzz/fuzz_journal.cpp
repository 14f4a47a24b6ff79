// OutputJournal resume over a torn or corrupt journal: with a valid first line
// any bytes after it either resume, or are refused with a UsageError that
// names the journal and the entry; the entries loaded are readable, and a new
// entry appended after them reads back intact.

#include <filesystem>
#include <limits>
#include <string>

#include "cli/output_journal.hpp"
#include "fuzz_support.hpp"
#include "rankpool/errors.hpp"

namespace fuzz = rankpool::fuzz;
using rankpool::cli::OutputJournal;

namespace {

constexpr std::string_view kFingerprint = "factorial numbers=1-100 fuzz";
constexpr std::uint64_t kNewKey = std::numeric_limits<std::uint64_t>::max();
constexpr std::string_view kNewPayload = "appended after resume";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto out = fuzz::scratch_dir() / "out.txt";
  const std::string journal = out.string() + ".partial";
  const std::string header = "rankpool-journal-2 " + std::string(kFingerprint) + "\n";
  fuzz::write_file(journal, header, fuzz::as_text(data, size));

  try {
    OutputJournal resumed(out.string(), std::string(kFingerprint), rankpool::cli::JournalMode::kResume);
    if (std::filesystem::file_size(journal) > header.size() + size) fuzz::fail("resume made the journal longer");
    resumed.append(kNewKey, kNewPayload);
    std::uint64_t written = 0;
    bool saw_new = false;
    resumed.finish([&](std::uint64_t key, std::string_view payload, std::ostream&) {
      ++written;
      if (!resumed.done(key)) fuzz::fail("finish wrote a key that is not done");
      if (key == kNewKey) {
        saw_new = true;
        if (payload != kNewPayload) fuzz::fail("the entry appended after resume reads back wrong");
      } else if (payload.size() > size) {
        fuzz::fail("an entry larger than the journal: " + std::to_string(payload.size()) + " bytes");
      }
    });
    if (!saw_new) fuzz::fail("the entry appended after resume is missing");
    if (written != resumed.done_count())
      fuzz::fail("finish wrote " + std::to_string(written) + " entries, not done_count()");
  } catch (const rankpool::UsageError& e) {
    const std::string message = e.what();
    if (message.rfind("--resume: " + journal + ": entry ", 0) != 0)
      fuzz::fail("a refused journal must be named with the entry: " + message);
  } catch (const std::exception& e) {
    fuzz::fail("resume of a journal with a valid header threw " + fuzz::type_name(e) + ": " + e.what());
  }
  std::error_code ignored;
  std::filesystem::remove(out, ignored);
  std::filesystem::remove(journal, ignored);
  return 0;
}
