#include "cli/output_journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "rankpool/errors.hpp"

namespace rankpool::cli {

namespace {

constexpr std::string_view kMagic = "rankpool-journal-1 ";

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError("cannot write " + path + ": " + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
  }
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

OutputJournal::OutputJournal(std::string path, std::string fingerprint, bool resume) : path_(std::move(path)) {
  if (!path_.empty()) check_writable(path_, "--out");
  struct stat info {};
  // A device or a pipe (/dev/null, a FIFO) is written once at the end, not renamed onto.
  special_ = path_ != "-" && !path_.empty() && stat(path_.c_str(), &info) == 0 && !S_ISREG(info.st_mode);
  if (path_ == "-" || path_.empty() || special_) {
    const char* tmp = std::getenv("TMPDIR");
    journal_path_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/rankpool-output-" + std::to_string(getpid()) + ".partial";
    resume = false;
  } else {
    journal_path_ = path_ + ".partial";
  }
  if (resume && access(journal_path_.c_str(), F_OK) == 0) {
    load_existing(fingerprint);
    fd_ = ::open(journal_path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd_ < 0) throw UsageError("--resume: cannot open " + journal_path_ + ": " + std::strerror(errno));
    lock();
    // Cut a torn tail so new entries start on a clean boundary.
    if (ftruncate(fd_, static_cast<off_t>(size_)) != 0)
      throw RuntimeError("cannot truncate " + journal_path_ + ": " + std::strerror(errno));
    return;
  }
  // Lock before truncating: another run may be writing this journal.
  fd_ = ::open(journal_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw UsageError("--out " + path_ + ": cannot create " + journal_path_ + ": " + std::strerror(errno));
  lock();
  if (ftruncate(fd_, 0) != 0) throw RuntimeError("cannot truncate " + journal_path_ + ": " + std::strerror(errno));
  const std::string header = std::string(kMagic) + fingerprint + "\n";
  write_all(fd_, header, journal_path_);
  size_ = header.size();
}

OutputJournal::~OutputJournal() {
  if (fd_ >= 0) ::close(fd_);
  if (in_tmp()) std::remove(journal_path_.c_str());
}

void OutputJournal::lock() {
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw UsageError("--out " + path_ + ": " + journal_path_ + " is in use by another run");
  }
}

void OutputJournal::load_existing(const std::string& fingerprint) {
  std::ifstream in(journal_path_, std::ios::binary);
  std::string header;
  if (!std::getline(in, header) || header != std::string(kMagic) + fingerprint)
    throw UsageError("--resume: " + journal_path_ + " was written by a different run; remove it or drop --resume");
  size_ = header.size() + 1;
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(static_cast<std::streamoff>(size_));
  // Entries: "<key> <size>\n<payload>\n"; stop at the first torn or garbled one.
  for (;;) {
    std::string line;
    if (!std::getline(in, line) || in.eof()) break;
    const auto space = line.find(' ');
    std::uint64_t key = 0;
    std::uint64_t size = 0;
    if (space == std::string::npos) break;
    const char* end = line.data() + line.size();
    auto key_parse = std::from_chars(line.data(), line.data() + space, key);
    auto size_parse = std::from_chars(line.data() + space + 1, end, size);
    if (space == 0 || key_parse.ec != std::errc() || key_parse.ptr != line.data() + space ||
        size_parse.ec != std::errc() || size_parse.ptr != end || size_parse.ptr == line.data() + space + 1)
      break;
    const std::uint64_t payload_at = size_ + line.size() + 1;
    if (payload_at > file_size || size >= file_size - payload_at) break;
    in.seekg(static_cast<std::streamoff>(payload_at + size));
    if (!in || in.get() != '\n') break;
    entries_[key] = {payload_at, size};
    size_ = payload_at + size + 1;
  }
}

void OutputJournal::append(std::uint64_t key, std::string_view payload) {
  std::string entry = std::to_string(key) + " " + std::to_string(payload.size()) + "\n";
  const std::uint64_t payload_at = size_ + entry.size();
  entry.append(payload);
  entry.push_back('\n');
  write_all(fd_, entry, journal_path_);
  entries_[key] = {payload_at, payload.size()};
  size_ += entry.size();
}

std::string OutputJournal::read_at(std::uint64_t offset, std::uint64_t size) const {
  std::string out(size, '\0');
  const int fd = ::open(journal_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RuntimeError("cannot read " + journal_path_ + ": " + std::strerror(errno));
  std::uint64_t got = 0;
  while (got < size) {
    const ssize_t n = pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got));
    if (n <= 0) {
      ::close(fd);
      throw RuntimeError("cannot read " + journal_path_ + ": short read");
    }
    got += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return out;
}

void OutputJournal::finish(
    const std::function<void(std::uint64_t key, std::string_view payload, std::ostream& out)>& write_entry,
    bool keep_journal) {
  if (in_tmp()) {
    std::ostream nowhere(nullptr);
    std::ofstream special;
    if (special_) special.open(path_, std::ios::binary);
    std::ostream& out = path_ == "-" ? std::cout : special_ ? static_cast<std::ostream&>(special) : nowhere;
    for (const auto& [key, where] : entries_) write_entry(key, read_at(where.first, where.second), out);
    out.flush();
    if (special_ && !special) throw RuntimeError("cannot write " + path_ + ": " + std::strerror(errno));
    return;
  }
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw RuntimeError("cannot create " + tmp + ": " + std::strerror(errno));
    for (const auto& [key, where] : entries_) write_entry(key, read_at(where.first, where.second), out);
    out.flush();
    if (!out) throw RuntimeError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0)
    throw RuntimeError("cannot move " + tmp + " to " + path_ + ": " + std::strerror(errno));
  ::close(fd_);
  fd_ = -1;
  if (!keep_journal) std::remove(journal_path_.c_str());
}

}  // namespace rankpool::cli
