// The child's side of isolation (child_runner.hpp): an Executor serving the
// rank's messages from a pipe, its results back over another.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <iostream>
#include <sstream>

#include "rankpool/detail/child_runner.hpp"
#include "rankpool/detail/executor.hpp"
#include "rankpool/detail/spawned_child.hpp"

namespace rankpool::detail {

namespace {

struct ChildSetup {
  int read_fd = -1;
  int write_fd = -1;
  int rank = 0;
  long parent = 0;
};

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "rankpool: error: the worker's child process: " << what << std::endl;
  std::_Exit(1);
}

class ChildServer {
 public:
  ChildServer(const JobRegistry& registry, const ChildSetup& setup)
      : registry_(registry), in_(setup.read_fd), reader_(setup.read_fd), out_(setup.write_fd),
        executor_(registry, setup.rank, host_name(), static_cast<long>(getpid())) {}

  /// Serves until the rank closes the pipe.
  void serve() {
    while (auto message = next()) {
      handle(message->first, message->second);
      // What the tasks printed reaches the rank's stdout now, not when the child is killed.
      std::fflush(nullptr);
    }
  }

 private:
  class Port;
  using Message = std::pair<int, std::string>;

  /// A deferred message first, else the pipe's next (waits); nullopt once the pipe closes.
  std::optional<Message> next() {
    if (!deferred_.empty()) {
      Message message = std::move(deferred_.front());
      deferred_.pop_front();
      return message;
    }
    auto frame = reader_.next();
    if (!frame) return std::nullopt;
    ByteReader in(*frame);
    const auto tag = in.value<std::int32_t>();
    return Message{tag, frame->substr(kFrameBytes + sizeof tag)};
  }

  /// The pipe's next message if one has begun to arrive.
  std::optional<Message> poll_now() {
    if (!deferred_.empty() || reader_.buffered()) return next();
    pollfd ready{in_, POLLIN, 0};
    int got = 0;
    while ((got = poll(&ready, 1, 0)) < 0 && errno == EINTR) {
    }
    if (got < 0) die(std::string("poll: ") + std::strerror(errno));
    if (got == 0) return std::nullopt;
    return next();
  }

  void send(std::string_view message) {
    // SIGPIPE is ignored here; a closed pipe means the rank is gone.
    if (!write_all(out_, message, /*guard_sigpipe=*/false)) std::_Exit(0);
  }

  void handle(int tag, std::string_view message) {
    if (tag == kJob) {
      ByteReader in(message);
      const JobSpec spec = read_job(in);
      executor_.load(spec);
      const bool together = executor_.runs_many(spec.id) || registry_.concurrency(spec.name, spec.params) > 1;
      send(encode_value<std::uint8_t>(together ? 1 : 0));
    } else if (tag == kTasks && executor_.streams(message)) {
      stream(message);
    } else if (tag == kTasks) {
      ByteReader in(message);
      const ChunkHeader header = read_chunk_header(in);
      const TaskList tasks = read_tasks(in, header.kind, header.count);
      executor_.run(header.job_id, tasks, [&](TaskRecord&& record) {
        ByteWriter out(std::move(buffer_));
        write(out, ResultsHeader{header.chunk_id, 1});
        write(out, record);
        buffer_ = std::move(out).finish();
        send(buffer_);
      });
    } else {
      executor_.handle(tag, message);
    }
  }

  void stream(std::string_view message);

  const JobRegistry& registry_;
  int in_;
  FrameReader reader_;  // of in_
  int out_;
  Executor executor_;
  std::deque<Message> deferred_;
  std::string buffer_;  // the last record's message: its capacity serves the next
};

class ChildServer::Port final : public StreamPort {
 public:
  explicit Port(ChildServer& server) : server_(server) {}
  std::optional<std::pair<int, std::string>> poll() override { return server_.poll_now(); }
  void defer(int tag, std::string message) override { server_.deferred_.emplace_back(tag, std::move(message)); }
  void send(std::string message) override { server_.send(message); }

 private:
  ChildServer& server_;
};

void ChildServer::stream(std::string_view message) {
  Port port(*this);
  executor_.stream(message, port);
}

ChildSetup parse_setup(const char* text) {
  ChildSetup setup;
  std::istringstream in(text);
  if (!(in >> setup.read_fd >> setup.write_fd >> setup.rank >> setup.parent) || setup.read_fd < 0 || setup.write_fd < 0)
    die(std::string("malformed ") + kChildVariable + "='" + text + "'");
  return setup;
}

/// The child neither outlives its rank nor hands its pipes to what its tasks start.
void settle_in(const ChildSetup& setup) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die(std::string("prctl: ") + std::strerror(errno));
  if (getppid() != static_cast<pid_t>(setup.parent)) std::_Exit(0);  // the rank ended before the line above
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) die("cannot ignore SIGPIPE");
  for (int fd : {setup.read_fd, setup.write_fd})
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) die(std::string("fcntl: ") + std::strerror(errno));
}

}  // namespace

bool serve_child_if_requested(const JobRegistry& registry) {
  const char* text = std::getenv(kChildVariable);
  if (text == nullptr) return false;
  const ChildSetup setup = parse_setup(text);
  if (unsetenv(kChildVariable) != 0) die(std::string("unsetenv: ") + std::strerror(errno));
  settle_in(setup);
  try {
    ChildServer(registry, setup).serve();
  } catch (const std::exception& error) {
    die(error.what());
  }
  std::fflush(nullptr);
  std::_Exit(0);
}

}  // namespace rankpool::detail
