#include "exec/child_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "exec/child_guard.hpp"
#include "rankpool/errors.hpp"
#include "support/expect_message.hpp"

namespace rankpool::exec {
namespace {

ChildResult run(const std::string& command, double timeout = 0, std::size_t capture = 65536, double grace = 5) {
  ChildEnvironment environment(3, "node7");
  environment.set_task(42);
  ChildRequest request;
  request.command = command;
  request.timeout_seconds = timeout;
  request.kill_grace_seconds = grace;
  request.capture_bytes = capture;
  return run_child(request, environment);
}

TEST(ChildProcess, ExitStatusAndSignal) {
  EXPECT_EQ(run("true").exit_code, 0);
  EXPECT_EQ(run("exit 3").exit_code, 3);
  EXPECT_EQ(run("kill -9 $$").exit_code, 137);
  EXPECT_EQ(run("no-such-command-here").exit_code, 127);
}

// The stop probe starts saying "stopping" once the command is running (its first two looks, before and
// right after the spawn, see none).
std::atomic<int> probe_looks{0};
bool stopping_after_the_spawn() noexcept { return probe_looks.fetch_add(1) >= 2; }

TEST(ChildProcess, ACommandKilledByTheDrainSignalAsItStartedRunsAgain) {
  // What a drain's SIGUSR1 does to a command caught in its start: it dies of the signal. The command
  // stands for that by raising the signal with its default action (a shell would ignore it).
  const std::string dies_of_usr1 = "exec perl -e '$SIG{USR1} = \"DEFAULT\"; kill \"USR1\", $$; sleep 5'";
  probe_looks = 0;
  set_stop_probe(&stopping_after_the_spawn);
  EXPECT_THROW_HAS(run(dies_of_usr1), RuntimeError, "(the run is ending)");
  set_stop_probe(nullptr);
  // Without a stop noted, a command that dies of SIGUSR1 is a failed command like any other.
  EXPECT_EQ(run(dies_of_usr1).exit_code, 128 + SIGUSR1);
}

TEST(ChildProcess, CapturesBothStreams) {
  const ChildResult result = run("echo out; echo err >&2; printf more");
  EXPECT_EQ(result.stdout_text, "out\nmore");
  EXPECT_EQ(result.stderr_text, "err\n");
  EXPECT_EQ(result.stdout_bytes, 8u);
  EXPECT_EQ(result.stderr_bytes, 4u);
  EXPECT_FALSE(result.timed_out);
}

TEST(ChildProcess, KeepsTheFirstCaptureBytesAndCountsTheRest) {
  const ChildResult result = run("head -c 300000 /dev/zero | tr '\\0' a; echo tail >&2", 0, 1000);
  EXPECT_EQ(result.stdout_text, std::string(1000, 'a'));
  EXPECT_EQ(result.stdout_bytes, 300000u);
  EXPECT_EQ(result.stderr_text, "tail\n");
}

TEST(ChildProcess, ChattyOnBothStreamsDoesNotDeadlock) {
  // Each write is larger than a pipe: reading one stream only would hang.
  const ChildResult result =
      run("i=0; while [ $i -lt 8 ]; do head -c 200000 /dev/zero; head -c 200000 /dev/zero >&2; i=$((i+1)); done", 30);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.stdout_bytes, 1600000u);
  EXPECT_EQ(result.stderr_bytes, 1600000u);
}

TEST(ChildProcess, EnvironmentHasTheTaskAndNoMpiState) {
  setenv("OMPI_COMM_WORLD_RANK", "5", 1);
  setenv("PMIX_RANK", "5", 1);
  setenv("RANKPOOL_TASK", "999", 1);
  const ChildResult result = run("echo $RANKPOOL_TASK $RANKPOOL_RANK $RANKPOOL_HOST; env | grep -c -E '^(OMPI|PMIX)_'");
  unsetenv("OMPI_COMM_WORLD_RANK");
  unsetenv("PMIX_RANK");
  unsetenv("RANKPOOL_TASK");
  EXPECT_EQ(result.stdout_text, "42 3 node7\n0\n");
}

TEST(ChildProcess, StdinIsDevNullAndNoOtherDescriptorIsInherited) {
  const int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaked, 3);
  const ChildResult result = run("cat; ls /proc/self/fd | sort -n | tr '\\n' ' '");
  close(leaked);
  // ls itself opens one more descriptor (3) to read the directory.
  EXPECT_EQ(result.stdout_text, "0 1 2 3 ");
}

TEST(ChildProcess, RunsInItsOwnProcessGroup) {
  const ChildResult result = run("ps -o pgid= -p $$; echo $$");
  std::istringstream in(result.stdout_text);
  long pgid = 0, pid = 0;
  in >> pgid >> pid;
  EXPECT_EQ(pgid, pid);
  EXPECT_NE(pgid, static_cast<long>(getpgrp()));
}

// A zombie nobody reaped (no init in a container) counts as dead.
bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

TEST(ChildProcess, TimeoutKillsTheWholeGroup) {
  // A grandchild that ignores SIGTERM and holds no pipe: SIGKILL to the group ends it.
  const auto start = std::chrono::steady_clock::now();
  const ChildResult result = run("(trap '' TERM; exec sleep 300) >/dev/null 2>&1 & echo $!; sleep 300", 0.5);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
  EXPECT_LT(took, 60);  // bounds a hang only
  const pid_t grandchild = static_cast<pid_t>(std::stol(result.stdout_text));
  for (int i = 0; i < 100 && process_alive(grandchild); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(process_alive(grandchild)) << "grandchild " << grandchild << " survived";
}

TEST(ChildProcess, TimeoutWhenTheCommandIgnoresSigterm) {
  const ChildResult result = run("trap '' TERM; sleep 300", 0.3, 65536, 0.5);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
}

TEST(ChildProcess, OutputFilesGetEverything) {
  const auto dir = std::filesystem::temp_directory_path() / ("exec-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  ChildEnvironment environment(0, "h");
  ChildRequest request;
  request.command = "head -c 100000 /dev/zero; echo err >&2";
  request.capture_bytes = 10;
  request.stdout_path = (dir / "0.stdout").string();
  request.stderr_path = (dir / "0.stderr").string();
  const ChildResult result = run_child(request, environment);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(result.stdout_text.empty());
  EXPECT_EQ(std::filesystem::file_size(dir / "0.stdout"), 100000u);
  std::ifstream err(dir / "0.stderr");
  std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "err\n");
  request.stdout_path = (dir / "missing" / "1.stdout").string();
  try {
    run_child(request, environment);
    FAIL() << "no error";
  } catch (const RuntimeError& error) {
    EXPECT_EQ(std::string(error.what()), "exec: cannot create " + request.stdout_path + ": No such file or directory");
  }
  std::filesystem::remove_all(dir);
}

TEST(ChildProcess, OutputFilesRefuseAPlantedLinkFifoOrHardLink) {
  const auto dir = std::filesystem::temp_directory_path() / ("exec-plant-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto target = dir / "precious";
  std::ofstream(target) << "keep\n";
  std::filesystem::create_symlink(target, dir / "link.stdout");
  ASSERT_EQ(mkfifo((dir / "fifo.stdout").c_str(), 0600), 0);
  std::filesystem::create_hard_link(target, dir / "hard.stdout");
  ChildEnvironment environment(0, "h");
  ChildRequest request;
  request.command = "echo overwritten";
  request.stderr_path = (dir / "x.stderr").string();
  for (const char* name : {"link.stdout", "fifo.stdout", "hard.stdout"}) {
    request.stdout_path = (dir / name).string();
    try {
      run_child(request, environment);
      ADD_FAILURE() << name << ": no error";
    } catch (const RuntimeError& error) {
      EXPECT_NE(std::string(error.what()).find(request.stdout_path), std::string::npos) << error.what();
    }
  }
  std::ifstream in(target);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "keep\n");
  // A file of ours from an earlier attempt is emptied and written again.
  std::ofstream(dir / "old.stdout") << "an earlier attempt's much longer output\n";
  request.stdout_path = (dir / "old.stdout").string();
  EXPECT_EQ(run_child(request, environment).exit_code, 0);
  std::ifstream old(dir / "old.stdout");
  std::string again((std::istreambuf_iterator<char>(old)), std::istreambuf_iterator<char>());
  EXPECT_EQ(again, "overwritten\n");
  std::filesystem::remove_all(dir);
}

TEST(ChildProcess, ScrubbedVariables) {
  EXPECT_TRUE(ChildEnvironment::is_scrubbed("OMPI_MCA_ess=pmi"));
  EXPECT_TRUE(ChildEnvironment::is_scrubbed("PMIX_NAMESPACE=x"));
  EXPECT_TRUE(ChildEnvironment::is_scrubbed("PMI_FD=4"));
  EXPECT_FALSE(ChildEnvironment::is_scrubbed("PATH=/bin"));
  EXPECT_FALSE(ChildEnvironment::is_scrubbed("RANKPOOL_BIN=x"));
  EXPECT_FALSE(ChildEnvironment::is_scrubbed("OMP_NUM_THREADS=4"));
}

}  // namespace
}  // namespace rankpool::exec
