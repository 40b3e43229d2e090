// Crash test: a writer process (sqlite_crash_writer, 16 threads) is killed with SIGKILL at a
// random moment, 20 times over one file. After each kill the store must open cleanly, hold
// every key the writer reported as acknowledged, and accept writes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "storage/sqlite/sqlite_backend.h"

extern char** environ;

namespace kubepp::storage {
namespace {

using namespace std::chrono_literals;

// Runs the writer on `path` for about `run_for`, kills it with SIGKILL, and returns the keys it
// acknowledged (complete lines of its stdout).
std::vector<std::string> RunAndKill(const std::string& path, int round,
                                    std::chrono::milliseconds run_for) {
  int fds[2];
  KUBEPP_CHECK(pipe2(fds, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::string writer = KUBEPP_SQLITE_CRASH_WRITER;
  std::string round_arg = std::to_string(round);
  std::vector<char*> argv = {writer.data(), const_cast<char*>(path.c_str()), round_arg.data(),
                             nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, writer.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  KUBEPP_CHECK(rc == 0, "posix_spawn {}: {}", writer, rc);

  std::string out;
  char buf[65536];
  auto kill_at = std::chrono::steady_clock::now() + run_for;
  bool killed = false;
  while (true) {
    auto now = std::chrono::steady_clock::now();
    if (!killed && now >= kill_at) {
      kill(pid, SIGKILL);  // only our child, by its PID
      killed = true;
    }
    pollfd p{fds[0], POLLIN, 0};
    int wait_ms =
        killed ? 1000
               : static_cast<int>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - now).count()) +
                     1;
    if (poll(&p, 1, wait_ms) < 0) continue;
    if ((p.revents & (POLLIN | POLLHUP)) != 0) {
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // EOF: the writer is dead and its output drained
      out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fds[0]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
      << "the writer exited by itself (status " << wstatus << ")";
  std::vector<std::string> keys;
  size_t start = 0;
  for (size_t nl = out.find('\n'); nl != std::string::npos; nl = out.find('\n', start)) {
    keys.push_back(out.substr(start, nl - start));
    start = nl + 1;
  }
  return keys;  // a partial last line (killed mid-print) is not an acknowledged key
}

TEST(SqliteCrashTest, AcknowledgedWritesSurviveKill9) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "kubepp-crash-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  std::filesystem::path dir(tmpl);
  std::string path = (dir / "state.db").string();
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay_ms(50, 600);
  size_t total = 0;
  Revision last_revision = 0;
  for (int round = 0; round < 20; ++round) {
    auto keys = RunAndKill(path, round, std::chrono::milliseconds(delay_ms(rng)));
    total += keys.size();
    auto store = SqliteBackend::Open({.path = path});
    ASSERT_TRUE(store.IsOk()) << "round " << round << ": " << store.status().ToString();
    auto rev = (*store)->CurrentRevision();
    ASSERT_TRUE(rev.IsOk());
    EXPECT_GE(*rev, last_revision + static_cast<Revision>(keys.size()));
    size_t missing = 0;
    for (const auto& key : keys) {
      auto kv = (*store)->Get(key);
      if (!kv.IsOk()) {
        ++missing;
        ADD_FAILURE() << "round " << round << ": acknowledged key " << key
                      << " lost: " << kv.status().ToString();
        if (missing > 5) break;
      }
    }
    ASSERT_EQ(missing, 0u) << "round " << round;
    auto probe = (*store)->Create("/probe/" + std::to_string(round), "ok");
    ASSERT_TRUE(probe.IsOk()) << probe.status().ToString();
    last_revision = probe->mod_revision;
    std::printf("round %2d: %zu acknowledged keys present, revision %lld\n", round, keys.size(),
                static_cast<long long>(last_revision));
  }
  EXPECT_GT(total, 0u);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace kubepp::storage
