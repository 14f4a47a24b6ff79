#include "cli/safe_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "rankpool/errors.hpp"

namespace rankpool::cli {

namespace {

std::string reason(int error) { return std::strerror(error); }

}  // namespace

void write_all(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    const ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError("cannot write " + name + ": " + reason(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(wrote));
  }
}

void write_all(int fd, std::span<const std::string_view> parts, const std::string& name) {
  constexpr std::size_t kMaxParts = 64;
  while (!parts.empty()) {
    iovec vec[kMaxParts];
    const std::size_t count = std::min(parts.size(), kMaxParts);
    for (std::size_t i = 0; i < count; ++i) vec[i] = {const_cast<char*>(parts[i].data()), parts[i].size()};
    ssize_t wrote = ::writev(fd, vec, static_cast<int>(count));
    if (wrote < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError("cannot write " + name + ": " + reason(errno));
    }
    // Whole parts written are done; a part cut short is finished on its own.
    std::size_t done = 0;
    while (done < count && static_cast<std::size_t>(wrote) >= parts[done].size())
      wrote -= static_cast<ssize_t>(parts[done++].size());
    if (done < count) {
      write_all(fd, parts[done].substr(static_cast<std::size_t>(wrote)), name);
      ++done;
    }
    parts = parts.subspan(done);
  }
}

FdStreamBuf::FdStreamBuf(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
  setp(buffer_, buffer_ + sizeof buffer_);
}

bool FdStreamBuf::put_raw(const char* data, std::size_t size) {
  while (error_ == 0 && size > 0) {
    const ssize_t wrote = ::write(fd_, data, size);
    if (wrote < 0) {
      if (errno != EINTR) error_ = errno;
      continue;
    }
    data += wrote;
    size -= static_cast<std::size_t>(wrote);
  }
  return error_ == 0;
}

bool FdStreamBuf::drain() {
  const bool ok = put_raw(pbase(), static_cast<std::size_t>(pptr() - pbase()));
  setp(buffer_, buffer_ + sizeof buffer_);
  return ok;
}

FdStreamBuf::int_type FdStreamBuf::overflow(int_type ch) {
  if (!drain()) return traits_type::eof();
  if (!traits_type::eq_int_type(ch, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(ch);
    pbump(1);
  }
  return traits_type::not_eof(ch);
}

std::streamsize FdStreamBuf::xsputn(const char* data, std::streamsize size) {
  const auto count = static_cast<std::size_t>(size);
  if (count <= static_cast<std::size_t>(epptr() - pptr())) {
    std::memcpy(pptr(), data, count);
    pbump(static_cast<int>(count));
    return size;
  }
  if (!drain()) return 0;
  if (count >= sizeof buffer_) return put_raw(data, count) ? size : 0;
  std::memcpy(pptr(), data, count);
  pbump(static_cast<int>(count));
  return size;
}

int FdStreamBuf::sync() { return drain() ? 0 : -1; }

void FdStreamBuf::check() {
  drain();
  if (error_ != 0) throw RuntimeError("cannot write " + name_ + ": " + reason(error_));
}

int create_new_file(const std::string& path, int flags, mode_t mode) {
  return ::open(path.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | flags, mode);
}

AtomicFile::AtomicFile(std::string final_path) : final_path_(std::move(final_path)) {
  struct stat info {};
  if (::stat(final_path_.c_str(), &info) == 0 && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode)) {
    // A device or a FIFO (/dev/null, a pipe to a reader) is written where it is, never renamed onto.
    fd_ = ::open(final_path_.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0) throw RuntimeError("cannot write " + final_path_ + ": " + reason(errno));
    in_place_ = true;
    buffer_ = std::make_unique<FdStreamBuf>(fd_, final_path_);
    stream_.rdbuf(buffer_.get());
    return;
  }
  std::string pattern = final_path_ + ".tmp-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  // mkstemp opens with O_CREAT | O_EXCL under a random name: nothing planted is followed.
  fd_ = mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0) throw RuntimeError("cannot write " + final_path_ + ": cannot create a temporary file: " + reason(errno));
  temp_path_ = name.data();
  buffer_ = std::make_unique<FdStreamBuf>(fd_, final_path_);
  stream_.rdbuf(buffer_.get());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !in_place_) ::unlink(temp_path_.c_str());
}

void AtomicFile::commit() {
  buffer_->check();
  if (in_place_) {
    committed_ = true;
    return;
  }
  // A new file's usual permissions, not mkstemp's 0600.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0 || ::fsync(fd_) != 0)
    throw RuntimeError("cannot write " + final_path_ + ": " + reason(errno));
  const int closing = ::close(fd_);
  fd_ = -1;
  if (closing != 0) throw RuntimeError("cannot write " + final_path_ + ": " + reason(errno));
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
    throw RuntimeError("cannot move " + temp_path_ + " to " + final_path_ + ": " + reason(errno));
  committed_ = true;
}

PrivateDir::PrivateDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr)
    throw RuntimeError("cannot create a private folder " + pattern + ": " + reason(errno));
  path_ = name.data();
}

PrivateDir::~PrivateDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace rankpool::cli
