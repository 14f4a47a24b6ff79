#pragma once
/// \file
/// OutputJournal: results reach the disk as they complete, and the output file
/// appears only when the run is complete.

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace rankpool::cli {

/// Appends each task's output to `FILE.partial` as it arrives (one write per
/// entry, so a killed run leaves whole entries and at most one torn tail),
/// then `finish()` writes the entries in key order to `FILE.tmp` and renames
/// it to FILE. `--resume` reads an earlier journal and tells which keys are
/// done. The journal's first line fingerprints the run, so a resume of a
/// different run is refused. FILE "-" means stdout and "" nowhere (a job
/// that only counts); both journal in $TMPDIR. A lock keeps two runs apart.
class OutputJournal {
 public:
  /// Opens (or, with resume, reopens) the journal. Throws UsageError if the
  /// folder is missing or not writable, or the journal belongs to another run.
  OutputJournal(std::string path, std::string fingerprint, bool resume);
  ~OutputJournal();
  OutputJournal(const OutputJournal&) = delete;
  OutputJournal& operator=(const OutputJournal&) = delete;

  /// Keys an earlier run already wrote (resume only).
  bool done(std::uint64_t key) const { return entries_.count(key) != 0; }
  std::uint64_t done_count() const noexcept { return entries_.size(); }

  /// The payload recorded under `key`; throws std::out_of_range if none.
  std::string read(std::uint64_t key) const {
    const auto& where = entries_.at(key);
    return read_at(where.first, where.second);
  }

  /// Records one task's output (any bytes) under its key.
  void append(std::uint64_t key, std::string_view payload);

  /// Writes every entry in key order through `write_entry` into the final
  /// file, renames it into place and removes the journal (keeps it with
  /// `keep_journal`, for a run that wrote what it had and may `--resume`).
  void finish(const std::function<void(std::uint64_t key, std::string_view payload, std::ostream& out)>& write_entry,
              bool keep_journal = false);

  const std::string& path() const noexcept { return path_; }
  const std::string& journal_path() const noexcept { return journal_path_; }

 private:
  void load_existing(const std::string& fingerprint);
  void lock();
  std::string read_at(std::uint64_t offset, std::uint64_t size) const;

  bool in_tmp() const noexcept { return path_ == "-" || path_.empty() || special_; }

  std::string path_;
  bool special_ = false;
  std::string journal_path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> entries_;  // key -> (offset, size)
};

/// Throws UsageError unless a file can be created at `path` ("-" is fine).
void check_writable(const std::string& path, const char* option);

}  // namespace rankpool::cli
