// A catalogue of bad inputs: each case is a user mistake that must raise strata::Error whose
// message starts with the user-facing API in brackets ("[matmul] ...").
//
// Every case runs in a forked child process, so a case that crashes, hangs or throws the wrong
// exception fails alone and the others still run.  The child reports through a pipe:
//   "error:<message>"             strata::Error
//   "other:<type>:<what>"         another std::exception (or "other:unknown:" for anything else)
//   "none"                        nothing was thrown
// The parent adds "crash (signal N)" for a child killed by a signal and "hang" for one still
// running after the timeout.  A case passes only when the child reported "error:" and the message
// starts with the expected prefix.
//
// Cases register in groups (BAD_INPUTS_GROUP below); each gtest TEST runs one group and reports
// every failing case with ADD_FAILURE.  STRATA_BAD_INPUTS_VERBOSE=1 prints every outcome.
#pragma once

#include <cxxabi.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "strata/strata.h"

namespace strata::testing::errors {

struct Case {
  std::string name;
  std::string prefix;  // the message must start with this, e.g. "[matmul]"
  std::function<void()> run;
};
using Cases = std::vector<Case>;
using CaseFactory = Cases (*)();

// group name -> the functions that build its cases (called lazily, in the test).
inline std::map<std::string, std::vector<CaseFactory>>& registry() {
  static std::map<std::string, std::vector<CaseFactory>> groups;
  return groups;
}
struct Registration {
  Registration(const char* group, CaseFactory factory) { registry()[group].push_back(factory); }
};
#define BAD_INPUTS_CONCAT_INNER(a, b) a##b
#define BAD_INPUTS_CONCAT(a, b) BAD_INPUTS_CONCAT_INNER(a, b)
// BAD_INPUTS_GROUP("Ops", ops_cases): adds the cases ops_cases() returns to group "Ops".
#define BAD_INPUTS_GROUP(group, factory)                                                  \
  static const ::strata::testing::errors::Registration BAD_INPUTS_CONCAT(bad_inputs_reg_, \
                                                                         __LINE__)(group, factory)

// TEST(BadInputs, group) running the cases registered in `group`.
#define BAD_INPUTS_TEST(group)                    \
  TEST(BadInputs, group) {                        \
    ::strata::testing::errors::run_group(#group); \
  }

inline Cases cases_of(const std::string& group) {
  Cases out;
  const auto it = registry().find(group);
  if (it == registry().end()) return out;
  for (CaseFactory f : it->second) {
    for (Case& c : f()) out.push_back(std::move(c));
  }
  return out;
}

namespace detail {

inline std::string type_name_of(const std::type_info& t) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(t.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(t.name());
}

inline void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    done += static_cast<size_t>(n);
  }
}

// The child's side: run the case, report, and leave without atexit handlers or leak checks.
[[noreturn]] inline void child_main(const Case& c, int fd) {
  std::string report;
  try {
    set_num_threads(1);  // GNU OpenMP's pool does not survive fork; one thread enters no region
    c.run();
    report = "none";
  } catch (const Error& e) {
    report = std::string("error:") + e.what();
  } catch (const std::exception& e) {
    report = "other:" + type_name_of(typeid(e)) + ":" + e.what();
  } catch (...) {
    report = "other:unknown:";
  }
  write_all(fd, report);
  ::close(fd);
  ::_exit(0);
}

}  // namespace detail

// What a case did, as the child reported it or as the parent saw it die.
struct Outcome {
  std::string report;  // "error:...", "other:...", "none", "crash (signal N)", "hang", ...
  bool passed(const std::string& prefix) const {
    return report.rfind("error:", 0) == 0 && report.compare(6, prefix.size(), prefix) == 0;
  }
};

inline Outcome run_isolated(const Case& c, int timeout_seconds = 20) {
  int fds[2];
  if (::pipe(fds) != 0) return {"harness: pipe failed"};
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {"harness: fork failed"};
  }
  if (pid == 0) {
    ::close(fds[0]);
    detail::child_main(c, fds[1]);
  }
  ::close(fds[1]);
  std::string report;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      timed_out = true;
      break;
    }
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child closed its end (finished or died)
    report.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return {"hang (no result after " + std::to_string(timeout_seconds) + " s)"};
  if (WIFSIGNALED(status)) return {"crash (signal " + std::to_string(WTERMSIG(status)) + ")"};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return {"crash (exit status " + std::to_string(WEXITSTATUS(status)) + ")"};
  }
  if (report.empty()) return {"harness: the child reported nothing"};
  return {report};
}

// Runs every case of `group`, one ADD_FAILURE per failing case.
inline void run_group(const std::string& group) {
  const Cases cases = cases_of(group);
  ASSERT_FALSE(cases.empty()) << "no cases registered in group " << group;
  const char* env = std::getenv("STRATA_BAD_INPUTS_VERBOSE");
  const bool verbose = env != nullptr && std::string(env) == "1";
  int failed = 0;
  for (const Case& c : cases) {
    const Outcome o = run_isolated(c);
    const bool ok = o.passed(c.prefix);
    if (!ok) {
      ++failed;
      ADD_FAILURE() << group << "/" << c.name << ": expected strata::Error starting with "
                    << c.prefix << ", got " << o.report;
    }
    if (verbose) {
      std::printf("[%s] %s/%s (want %s): %s\n", ok ? "  ok  " : "FAILED", group.c_str(),
                  c.name.c_str(), c.prefix.c_str(), o.report.c_str());
    }
  }
  if (verbose) std::printf("%s: %zu cases, %d failed\n", group.c_str(), cases.size(), failed);
}

// Shapes and arrays the cases share.
inline constexpr int64_t kBig = int64_t{1} << 32;  // {kBig, kBig} has 2^64 elements
// 0, 1, 2, ... in `shape`, float32 (f64: float64).
inline Array f32(const Shape& shape) {
  return reshape(arange(0.0, static_cast<double>(strata::detail::shape_size(shape))), shape);
}
inline Array f64(const Shape& shape) {
  return astype(f32(shape), DType::Float64);
}

// An array traced by a jit call that has returned: a leaked tracer.
inline Array leaked_tracer(const Shape& shape = {3}, DType dtype = DType::Float32) {
  Array leaked;
  jit([&](const Array& x) {
    leaked = x;
    return x;
  })(ones(shape, dtype));
  return leaked;
}

}  // namespace strata::testing::errors
