#include "rankpool/detail/crash_report.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace rankpool::detail {

namespace {

constexpr int kSignals[5] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr const char* kNames[5] = {"SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT"};

// What the handlers read: plain data, written before they can run.
std::atomic<bool> g_armed{false};
std::atomic<const char*> g_job{nullptr};
std::atomic<std::uint64_t> g_index{0};
char g_where[300] = {};  // " on rank 2 (host)"
struct sigaction g_previous[5];

/// Appends text to a buffer of `size`, async-signal-safe.
void append(char* buffer, std::size_t size, std::size_t& used, const char* text) {
  while (*text != '\0' && used + 1 < size) buffer[used++] = *text++;
  buffer[used] = '\0';
}

void append_number(char* buffer, std::size_t size, std::size_t& used, std::uint64_t value) {
  char digits[24];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  char text[24];
  for (int i = 0; i < count; ++i) text[i] = digits[count - 1 - i];
  text[count] = '\0';
  append(buffer, size, used, text);
}

/// Writes "rankpool: error: job 'J' task N on rank R (host) <how>" with `what` and a number.
void say(const char* how, std::uint64_t number, const char* name) {
  const char* job = g_job.load();
  char line[640];
  std::size_t used = 0;
  append(line, sizeof line, used, "rankpool: error: job '");
  append(line, sizeof line, used, job != nullptr ? job : "?");
  append(line, sizeof line, used, "' task ");
  append_number(line, sizeof line, used, g_index.load());
  append(line, sizeof line, used, g_where);
  append(line, sizeof line, used, how);
  append_number(line, sizeof line, used, number);
  if (name != nullptr) {
    append(line, sizeof line, used, " (");
    append(line, sizeof line, used, name);
    append(line, sizeof line, used, ")");
  }
  append(line, sizeof line, used, "\n");
  const ssize_t ignored = write(STDERR_FILENO, line, used);
  (void)ignored;
}

void on_signal(int signal) {
  int which = 0;
  while (which < 5 && kSignals[which] != signal) ++which;
  if (g_armed.exchange(false)) say(" killed its worker: signal ", static_cast<std::uint64_t>(signal), kNames[which]);
  // End as the process would have: the handler it had (Open MPI's, say), or the default.
  sigaction(signal, &g_previous[which], nullptr);
  raise(signal);
}

void on_exit_call(int status, void*) {
  if (g_armed.exchange(false)) say(" ended its worker: exit code ", static_cast<std::uint64_t>(status & 0xff), nullptr);
}

}  // namespace

CrashReport::CrashReport(int rank, const std::string& host) {
  std::size_t used = 0;
  append(g_where, sizeof g_where, used, " on rank ");
  append_number(g_where, sizeof g_where, used, static_cast<std::uint64_t>(rank));
  append(g_where, sizeof g_where, used, " (");
  append(g_where, sizeof g_where, used, host.c_str());
  append(g_where, sizeof g_where, used, ")");
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < 5; ++i) {
    sigaction(kSignals[i], &action, &previous_[i]);
    g_previous[i] = previous_[i];
  }
  // exit() cannot be caught, only heard: once per process, whatever the CrashReports.
  static const bool registered = on_exit(on_exit_call, nullptr) == 0;
  (void)registered;
}

CrashReport::~CrashReport() {
  g_armed.store(false);
  for (int i = 0; i < 5; ++i) sigaction(kSignals[i], &previous_[i], nullptr);
}

void CrashReport::running(const char* job, std::uint64_t index) noexcept {
  g_job.store(job, std::memory_order_relaxed);
  g_index.store(index, std::memory_order_relaxed);
  g_armed.store(true, std::memory_order_release);
}

void CrashReport::idle() noexcept { g_armed.store(false, std::memory_order_relaxed); }

}  // namespace rankpool::detail
