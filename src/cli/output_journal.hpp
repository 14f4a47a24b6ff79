#pragma once
/// \file
/// OutputJournal: results reach the disk as they complete, and the output file
/// appears only when the run is complete.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "rankpool/errors.hpp"

namespace rankpool::cli {

/// --resume onto an output that is already complete (FILE stands, no
/// FILE.partial): there is nothing to run. what() says so; exit 0.
class AlreadyComplete : public Error {
 public:
  using Error::Error;
  int exit_code() const noexcept override { return 0; }
};

class PrivateDir;

/// What to do with a `FILE.partial` an earlier run left behind.
enum class JournalMode {
  kNew,     ///< refuse it (exit 2): the user says --resume or --fresh
  kResume,  ///< keep its entries and run only the rest (--resume)
  kFresh,   ///< discard it (--fresh)
};

/// Checks one entry of a journal being resumed: throws any std::exception
/// whose what() says what is wrong with it (key outside the task set, value
/// not well-formed for the job). The journal itself checks its framing, a
/// CRC-32 of every value and that no key appears twice.
using EntryCheck = std::function<void(std::uint64_t key, std::string_view payload)>;

/// Appends each task's output to `FILE.partial` as it arrives (one write per
/// entry, so a killed run leaves whole entries and at most one torn tail),
/// then `finish()` writes the entries in key order under a temporary name
/// (mkstemp) and renames that to FILE. The journal's first line fingerprints
/// the run, so a resume of a different run is refused. FILE "-" (stdout), ""
/// (a job that only counts) and a device or FIFO cannot hold a journal beside
/// them: theirs lives in a private folder (mkdtemp, 0700) that goes when the
/// journal does. Files are opened with O_NOFOLLOW and created with O_EXCL;
/// a lock keeps two runs apart.
class OutputJournal {
 public:
  /// Opens the journal. Throws AlreadyComplete for kResume when FILE is a
  /// regular file and no journal stands beside it. Throws UsageError if the folder is missing or not
  /// writable, `FILE.partial` exists and mode is kNew, it is a link or not a
  /// regular file, it belongs to another run, or (kResume) an entry fails a
  /// check, or the file ends inside an entry that valid entries follow (a
  /// damaged size, not a torn last write): the message names the journal and
  /// the entry. Another run's lock is waited for a few seconds (a run that
  /// was just stopped may still be ending).
  OutputJournal(std::string path, std::string fingerprint, JournalMode mode, const EntryCheck& check = {});
  /// The same with `resume` as kResume, else kNew.
  OutputJournal(std::string path, std::string fingerprint, bool resume)
      : OutputJournal(std::move(path), std::move(fingerprint), resume ? JournalMode::kResume : JournalMode::kNew) {}
  ~OutputJournal();
  OutputJournal(const OutputJournal&) = delete;
  OutputJournal& operator=(const OutputJournal&) = delete;

  /// Keys an earlier run already wrote (resume only).
  bool done(std::uint64_t key) const { return entries_.count(key) != 0; }
  std::uint64_t done_count() const noexcept { return entries_.size(); }

  /// The payload recorded under `key`; throws std::out_of_range if none.
  std::string read(std::uint64_t key) const {
    const auto& where = entries_.at(key);
    std::string out;
    read_at(where.first, where.second, out);
    return out;
  }

  /// Records one task's output (any bytes) under its key. Throws
  /// RuntimeError "cannot write FILE.partial: REASON".
  void append(std::uint64_t key, std::string_view payload);

  /// Writes every entry in key order through `write_entry` (the payload is
  /// valid until it returns) into the final file, renames it into place and
  /// removes the journal. Throws Interrupted
  /// (see interrupts.hpp) instead after SIGINT, SIGTERM or SIGUSR1. Throws RuntimeError
  /// "cannot write FILE: REASON" (or "stdout") if any write fails; the journal
  /// is then kept, and no file stands under the final name. `keep_journal` keeps it
  /// also on success, for a run that wrote what it had and may `--resume`.
  void finish(const std::function<void(std::uint64_t key, std::string_view payload, std::ostream& out)>& write_entry,
              bool keep_journal = false);

  const std::string& path() const noexcept { return path_; }
  const std::string& journal_path() const noexcept { return journal_path_; }
  /// Whether a rerun with --resume can continue from this journal.
  bool resumable() const noexcept { return !in_tmp(); }

 private:
  void open(JournalMode mode, const std::string& fingerprint, const EntryCheck& check);
  void open_beside(JournalMode mode, const std::string& fingerprint, const EntryCheck& check);
  void start(const std::string& fingerprint);
  void load_existing(const std::string& fingerprint, const EntryCheck& check);
  void lock();
  bool whole_entry_follows(std::uint64_t from, std::uint64_t file_size) const;
  void read_at(std::uint64_t offset, std::uint64_t size, std::string& out) const;

  bool in_tmp() const noexcept { return path_ == "-" || path_.empty() || special_; }

  std::string path_;
  bool special_ = false;
  std::unique_ptr<PrivateDir> private_dir_;
  std::string journal_path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> entries_;  // key -> (offset, size)
};

/// Throws UsageError unless a file can be created at `path` ("-" is fine).
void check_writable(const std::string& path, const char* option);

}  // namespace rankpool::cli
