#include "cli/output_journal.hpp"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>

#include "cli/interrupts.hpp"
#include "cli/launcher_stdout.hpp"
#include "cli/safe_file.hpp"
#include "rankpool/errors.hpp"

namespace rankpool::cli {

namespace {

// Version 2 frames every value with its CRC-32: "<key> <size> <crc32 hex>\n<payload>\n".
constexpr std::string_view kMagic = "rankpool-journal-2 ";
// The longest entry header: two 20-digit numbers, 8 hex digits, two spaces and "\n".
constexpr std::size_t kMaxEntryHeader = 52;

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::uint32_t crc32_of(std::string_view bytes) {
  // libdeflate's CRC-32 is zlib's checksum (the same sums as ever), ~5x
  // faster than zlib's own (PCLMUL): reposts journal a quarter MB per page.
  return libdeflate_crc32(0, bytes.data(), bytes.size());
}

std::string entry_header(std::uint64_t key, std::string_view payload) {
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32_of(payload));
  return std::to_string(key) + " " + std::to_string(payload.size()) + " " + crc + "\n";
}

/// Up to `size` bytes at `offset` into `out` (its memory reused); fewer only
/// at the end of the file.
void pread_into(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name, std::string& out) {
  out.resize(size);
  std::uint64_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw RuntimeError("cannot read " + name + ": " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::uint64_t>(n);
  }
  out.resize(got);
}

std::string pread_some(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
  std::string out;
  pread_into(fd, offset, size, name, out);
  return out;
}

template <class T>
bool parse_whole(std::string_view text, T& value, int base = 10) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

void check_writable(const std::string& path, const char* option) {
  if (path == "-") return;
  if (path.empty()) throw UsageError(std::string(option) + " needs a file name");
  const std::string folder = folder_of(path);
  struct stat info {};
  if (stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    throw UsageError(std::string(option) + " " + path + ": folder " + folder + " does not exist");
  if (access(folder.c_str(), W_OK) != 0)
    throw UsageError(std::string(option) + " " + path + ": folder " + folder + " is not writable");
  if (stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
    throw UsageError(std::string(option) + " " + path + " is a folder");
}

OutputJournal::OutputJournal(std::string path, std::string fingerprint, JournalMode mode, const EntryCheck& check)
    : path_(std::move(path)) {
  try {
    open(mode, fingerprint, check);
  } catch (...) {
    if (fd_ >= 0) ::close(fd_);
    throw;
  }
  // What a signal's line reports: this journal's count, and whether a rerun can resume it.
  run_progress().done = [this] { return done_count(); };
  run_progress().journal = resumable() ? journal_path_ : "";
}

void OutputJournal::open(JournalMode mode, const std::string& fingerprint, const EntryCheck& check) {
  if (!path_.empty()) check_writable(path_, "--out");
  struct stat info {};
  // A device or a pipe (/dev/null, a FIFO) is written once at the end, not renamed onto.
  // So is stdout by another name (/dev/stdout): it is written through stdout's own descriptor.
  special_ = path_ != "-" && !path_.empty() &&
             ((stat(path_.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) || is_stdout(path_));
  if (!in_tmp()) {
    journal_path_ = path_ + ".partial";
    open_beside(mode, fingerprint, check);
    return;
  }
  if (mode == JournalMode::kResume)
    throw UsageError("--resume needs --out FILE, a regular file: the journal of --out " +
                     (path_.empty() ? std::string("(none)") : path_) + " is private and goes when the run ends");
  private_dir_ = std::make_unique<PrivateDir>("rankpool");
  journal_path_ = private_dir_->path() + "/output.partial";
  fd_ = create_new_file(journal_path_, O_RDWR | O_APPEND, 0600);
  if (fd_ < 0) throw RuntimeError("cannot create " + journal_path_ + ": " + std::strerror(errno));
  start(fingerprint);
}

void OutputJournal::open_beside(JournalMode mode, const std::string& fingerprint, const EntryCheck& check) {
  // O_NONBLOCK: a FIFO planted here must not hang the open; O_NOFOLLOW: nor a link redirect it.
  fd_ = ::open(journal_path_.c_str(), O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0 && errno == ELOOP) {
    if (mode != JournalMode::kFresh)
      throw UsageError(journal_path_ +
                       " is a symbolic link; rankpool does not write through one (--fresh replaces it)");
    if (::unlink(journal_path_.c_str()) != 0)
      throw UsageError("--fresh: cannot remove " + journal_path_ + ": " + std::strerror(errno));
  } else if (fd_ < 0 && errno != ENOENT) {
    throw UsageError("--out " + path_ + ": cannot open " + journal_path_ + ": " + std::strerror(errno));
  }
  if (fd_ < 0 && mode == JournalMode::kResume) {
    struct stat output {};
    if (::lstat(path_.c_str(), &output) == 0 && S_ISREG(output.st_mode))
      throw AlreadyComplete("--resume: " + path_ + " is complete (no " + journal_path_ +
                            " beside it): nothing to run; remove it to run again");
  }
  if (fd_ < 0) {
    fd_ = create_new_file(journal_path_, O_RDWR | O_APPEND);
    if (fd_ < 0 && errno == EEXIST)
      throw UsageError("--out " + path_ + ": " + journal_path_ + " is in use by another run");
    if (fd_ < 0) throw UsageError("--out " + path_ + ": cannot create " + journal_path_ + ": " + std::strerror(errno));
    lock();
    start(fingerprint);
    return;
  }
  struct stat info {};
  if (fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode) || info.st_nlink != 1) {
    const bool regular = S_ISREG(info.st_mode);
    ::close(fd_);
    fd_ = -1;
    throw UsageError(journal_path_ + (regular ? " has other hard links" : " is not a regular file") +
                     "; rankpool does not write through it (remove it)");
  }
  fcntl(fd_, F_SETFL, O_APPEND);
  // Lock before anything else: another run may be writing this journal.
  lock();
  switch (mode) {
    case JournalMode::kNew:
      throw UsageError(journal_path_ + " holds the results of an earlier run that did not finish; add --resume to " +
                       "continue it, or --fresh to discard it");
    case JournalMode::kFresh:
      if (ftruncate(fd_, 0) != 0) throw RuntimeError("cannot truncate " + journal_path_ + ": " + std::strerror(errno));
      start(fingerprint);
      return;
    case JournalMode::kResume:
      load_existing(fingerprint, check);
      // Cut a torn tail so new entries start on a clean boundary.
      if (ftruncate(fd_, static_cast<off_t>(size_)) != 0)
        throw RuntimeError("cannot truncate " + journal_path_ + ": " + std::strerror(errno));
      return;
  }
}

void OutputJournal::start(const std::string& fingerprint) {
  const std::string header = std::string(kMagic) + fingerprint + "\n";
  write_all(fd_, header, journal_path_);
  size_ = header.size();
}

OutputJournal::~OutputJournal() {
  {
    const auto lock = lock_results();
    // While an error unwinds, its one line may still name the journal it
    // leaves, and count what it holds.
    if (std::uncaught_exceptions() == 0) {
      run_progress().done = nullptr;
      run_progress().journal.clear();
    } else {
      run_progress().done = [done = entries_.size()] { return static_cast<std::uint64_t>(done); };
    }
  }
  if (fd_ >= 0) ::close(fd_);
  // private_dir_ takes an in-tmp journal with it: that one cannot be resumed.
}

void OutputJournal::lock() {
  // A run stopped a moment ago may still be on its way out: wait for it a little.
  constexpr int kTries = 100;  // 5 s
  for (int tries = 1; flock(fd_, LOCK_EX | LOCK_NB) != 0; ++tries) {
    if (errno == EWOULDBLOCK && tries < kTries) {
      ::usleep(50'000);
      continue;
    }
    ::close(fd_);
    fd_ = -1;
    throw UsageError("--out " + path_ + ": " + journal_path_ + " is in use by another run");
  }
}

bool OutputJournal::whole_entry_follows(std::uint64_t from, std::uint64_t file_size) const {
  // A torn write is the file's last: if a whole entry with a good checksum
  // starts on any later line, the bytes in between are damage.
  constexpr std::uint64_t kBlock = 1 << 20;
  std::string block;
  for (std::uint64_t at = from; at < file_size; at += kBlock) {
    pread_into(fd_, at, kBlock + kMaxEntryHeader, journal_path_, block);
    for (std::size_t newline = block.find('\n'); newline != std::string::npos && newline < kBlock;
         newline = block.find('\n', newline + 1)) {
      const std::string_view rest(block.data() + newline + 1, block.size() - newline - 1);
      const auto end = rest.find('\n');
      if (end == std::string_view::npos) continue;
      const std::string_view line = rest.substr(0, end);
      const auto first = line.find(' ');
      const auto second = first == std::string_view::npos ? first : line.find(' ', first + 1);
      std::uint64_t key = 0, size = 0;
      std::uint32_t crc = 0;
      if (second == std::string_view::npos || !parse_whole(line.substr(0, first), key) ||
          !parse_whole(line.substr(first + 1, second - first - 1), size) || line.size() - second - 1 != 8 ||
          !parse_whole(line.substr(second + 1), crc, 16))
        continue;
      const std::uint64_t payload_at = at + newline + 1 + end + 1;
      if (payload_at + size + 1 > file_size) continue;
      const std::string payload = pread_some(fd_, payload_at, size + 1, journal_path_);
      if (payload.back() == '\n' && crc32_of(std::string_view(payload).substr(0, size)) == crc) return true;
    }
  }
  return false;
}

void OutputJournal::load_existing(const std::string& fingerprint, const EntryCheck& check) {
  struct stat info {};
  if (fstat(fd_, &info) != 0) throw RuntimeError("cannot read " + journal_path_ + ": " + std::strerror(errno));
  const auto file_size = static_cast<std::uint64_t>(info.st_size);
  const std::string expected = std::string(kMagic) + fingerprint + "\n";
  if (pread_some(fd_, 0, expected.size(), journal_path_) != expected)
    throw UsageError("--resume: " + journal_path_ + " was written by a different run; remove it or use --fresh");
  size_ = expected.size();
  std::uint64_t number = 0;
  // One entry at a time; the file may end inside the last one (a torn write),
  // anything else wrong is an error that names the entry.
  while (size_ < file_size) {
    ++number;
    auto bad = [&](const std::string& why) {
      return UsageError("--resume: " + journal_path_ + ": entry " + std::to_string(number) + " (at byte " +
                        std::to_string(size_) + ") " + why + "; remove that entry and what follows, or use --fresh");
    };
    const std::string head = pread_some(fd_, size_, kMaxEntryHeader, journal_path_);
    const auto newline = head.find('\n');
    if (newline == std::string::npos) {
      if (size_ + head.size() == file_size && !whole_entry_follows(size_, file_size)) break;  // torn
      throw bad("has no header line");
    }
    const std::string_view line(head.data(), newline);
    const auto first_space = line.find(' ');
    const auto second_space = first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
    std::uint64_t key = 0;
    std::uint64_t size = 0;
    std::uint32_t crc = 0;
    if (second_space == std::string_view::npos || !parse_whole(line.substr(0, first_space), key) ||
        !parse_whole(line.substr(first_space + 1, second_space - first_space - 1), size) ||
        line.size() - second_space - 1 != 8 || !parse_whole(line.substr(second_space + 1), crc, 16))
      throw bad("has a garbled header '" + std::string(line) + "'");
    const std::uint64_t payload_at = size_ + newline + 1;
    if (size >= file_size || payload_at + size + 1 > file_size) {
      if (!whole_entry_follows(size_, file_size)) break;  // torn: the last write, cut short
      throw bad("(key " + std::to_string(key) + ") says " + std::to_string(size) +
                " bytes, more than the file holds, yet whole entries follow it: its size is damaged");
    }
    std::string payload = pread_some(fd_, payload_at, size + 1, journal_path_);
    if (payload.size() != size + 1 || payload.back() != '\n')
      throw bad("(key " + std::to_string(key) + ") is cut short");
    payload.pop_back();
    if (crc32_of(payload) != crc) throw bad("(key " + std::to_string(key) + ") does not match its checksum");
    if (entries_.count(key) != 0) throw bad("repeats key " + std::to_string(key));
    if (check) {
      try {
        check(key, payload);
      } catch (const std::exception& error) {
        throw bad("(key " + std::to_string(key) + "): " + error.what());
      }
    }
    entries_[key] = {payload_at, size};
    size_ = payload_at + size + 1;
  }
}

void OutputJournal::append(std::uint64_t key, std::string_view payload) {
  const std::string header = entry_header(key, payload);
  // One write of the three parts: no copy of the payload, and still one whole
  // entry or a torn tail if the run dies.
  const std::string_view parts[] = {header, payload, "\n"};
  write_all(fd_, parts, journal_path_);
  entries_[key] = {size_ + header.size(), payload.size()};
  size_ += header.size() + payload.size() + 1;
}

void OutputJournal::read_at(std::uint64_t offset, std::uint64_t size, std::string& out) const {
  pread_into(fd_, offset, size, journal_path_, out);
  if (out.size() != size) throw RuntimeError("cannot read " + journal_path_ + ": it ends early");
}

void OutputJournal::finish(
    const std::function<void(std::uint64_t key, std::string_view payload, std::ostream& out)>& write_entry,
    bool keep_journal) {
  // After a signal the run ends here, its results kept for --resume, never in a final file.
  throw_if_stopping();
  // A failed write stops the loop; the stream without a buffer (no output) fails every write and goes on.
  std::string payload;  // one buffer for every entry
  auto write_all_entries = [&](std::ostream& out) {
    for (const auto& [key, where] : entries_) {
      read_at(where.first, where.second, payload);
      write_entry(key, payload, out);
      if (!out && out.rdbuf() != nullptr) break;
    }
  };
  if (in_tmp()) {
    if (path_.empty()) {
      std::ostream nowhere(nullptr);
      write_all_entries(nowhere);
      return;
    }
    const bool to_stdout = is_stdout(path_);
    const int fd = to_stdout ? stdout_fd() : ::open(path_.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) throw RuntimeError("cannot write " + path_ + ": " + std::strerror(errno));
    struct Closer {
      int fd;
      bool owned;
      ~Closer() {
        if (owned) ::close(fd);
      }
    } closer{fd, !to_stdout};
    FdStreamBuf buffer(fd, to_stdout ? "stdout" : path_);
    std::ostream out(&buffer);
    write_all_entries(out);
    buffer.check();
    return;
  }
  try {
    AtomicFile file(path_);
    write_all_entries(file.stream());
    file.commit();
  } catch (const RuntimeError& error) {
    throw RuntimeError(std::string(error.what()) + " (the results stay in " + journal_path_ + "; rerun with --resume)");
  }
  ::close(fd_);
  fd_ = -1;
  if (!keep_journal) ::unlink(journal_path_.c_str());
}

}  // namespace rankpool::cli
