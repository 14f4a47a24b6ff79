#pragma once
/// \file
/// Output files that cannot lie: every write is checked, nothing follows a
/// planted symbolic link, temporary names cannot be guessed, and a file
/// appears under its final name only once it is whole.

#include <sys/types.h>

#include <memory>
#include <ostream>
#include <span>
#include <streambuf>
#include <string>
#include <string_view>

namespace rankpool::cli {

/// Writes every byte with write(2), retrying short writes and EINTR. Throws
/// RuntimeError "cannot write NAME: REASON" (REASON from strerror) otherwise.
void write_all(int fd, std::string_view bytes, const std::string& name);

/// The same for `parts` one after the other, gathered by writev(2) (one
/// system call where the kernel takes them all).
void write_all(int fd, std::span<const std::string_view> parts, const std::string& name);

/// A stream buffer over a file descriptor it does not own. The first failed
/// write(2) is remembered and every later one dropped; check() throws it.
class FdStreamBuf final : public std::streambuf {
 public:
  FdStreamBuf(int fd, std::string name);
  FdStreamBuf(const FdStreamBuf&) = delete;
  FdStreamBuf& operator=(const FdStreamBuf&) = delete;
  /// Writes what is buffered; throws RuntimeError "cannot write NAME: REASON"
  /// if this or any earlier write failed.
  void check();
  /// The errno of the first failed write, 0 if none.
  int error() const noexcept { return error_; }

 protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* data, std::streamsize size) override;
  int sync() override;

 private:
  bool drain();
  bool put_raw(const char* data, std::size_t size);

  int fd_;
  std::string name_;
  int error_ = 0;
  char buffer_[1 << 16];
};

/// Opens `path` with `flags` (O_WRONLY or O_RDWR, and any more) only if it is
/// a new regular file made now (O_CREAT | O_EXCL | O_NOFOLLOW), so a planted
/// symbolic link or file is never written through. Returns the descriptor,
/// or -1 with errno set.
int create_new_file(const std::string& path, int flags, mode_t mode = 0644);

/// A file written under an unpredictable temporary name in the folder of its
/// final name (mkstemp: `FINAL.tmp-XXXXXX`), renamed into place by commit()
/// and removed if the object dies uncommitted. A device or FIFO standing at
/// the final name (/dev/null, a named pipe) is written in place instead, and
/// never replaced.
///
///     AtomicFile file("out.txt");
///     file.stream() << "…";
///     file.commit();   // throws RuntimeError "cannot write out.txt: No space left on device"
class AtomicFile {
 public:
  /// Creates the temporary file. Throws RuntimeError naming `final_path`.
  explicit AtomicFile(std::string final_path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() noexcept { return stream_; }
  /// Flushes, checks every write, syncs, gives the file the permissions a new
  /// file gets (0666 less the umask) and renames it to the final name.
  void commit();
  const std::string& temp_path() const noexcept { return temp_path_; }

 private:
  std::string final_path_;
  std::string temp_path_;
  int fd_ = -1;
  std::unique_ptr<FdStreamBuf> buffer_;
  std::ostream stream_{nullptr};
  bool committed_ = false;
  bool in_place_ = false;
};

/// A private folder (mkdtemp, mode 0700) under $TMPDIR or /tmp, removed with
/// everything in it when the object dies.
class PrivateDir {
 public:
  /// Throws RuntimeError if it cannot be made.
  explicit PrivateDir(const std::string& prefix);
  ~PrivateDir();
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

}  // namespace rankpool::cli
