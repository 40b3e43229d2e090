// kubepp-pause: the process that holds a pod sandbox's namespaces (the image
// localhost/pause:kubepp holds only this file, as /pause).
//
// It sleeps until SIGINT or SIGTERM, then exits 0. As PID 1 of a pod's shared PID namespace it
// also reaps orphaned children: every SIGCHLD drains waitpid(-1, WNOHANG). A static executable
// with no C++ library use: it runs in an image with nothing else in the filesystem.
//
//   kubepp-pause        run (as PID 1 in a container)
//   kubepp-pause -v     print the version and exit
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace {

// Writes a C string to fd, ignoring errors (nothing useful can be done about them).
void Say(int fd, const char* text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    ssize_t n = ::write(fd, text, left);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    text += n;
    left -= static_cast<size_t>(n);
  }
}

// SIGINT/SIGTERM: the sandbox is being stopped.
void OnStop(int /*sig*/) {
  Say(2, "kubepp-pause: shutting down\n");
  ::_exit(0);
}

// SIGCHLD: reap every child that has exited; keeps errno for the interrupted code.
void OnChild(int /*sig*/) {
  int saved = errno;
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  errno = saved;
}

// Installs handler for sig; false when the kernel refuses.
bool Handle(int sig, void (*handler)(int), int flags) {
  struct sigaction act {};
  act.sa_handler = handler;
  act.sa_flags = flags;
  sigemptyset(&act.sa_mask);
  return ::sigaction(sig, &act, nullptr) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "-v") == 0 || std::strcmp(argv[1], "--version") == 0)) {
    Say(1, "kubepp-pause 1\n");
    return 0;
  }
  if (::getpid() != 1) Say(2, "kubepp-pause: warning: not running as PID 1\n");
  if (!Handle(SIGINT, OnStop, 0) || !Handle(SIGTERM, OnStop, 0) ||
      !Handle(SIGCHLD, OnChild, SA_NOCLDSTOP | SA_RESTART)) {
    Say(2, "kubepp-pause: sigaction failed\n");
    return 1;
  }
  for (;;) ::pause();
}
