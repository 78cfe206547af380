// The W1 gradient step when another process keeps one core busy, per OpenMP wait setting (issue
// 14, the contention part: measured here, not yet solved — see bench/README.md).
//
// A plain program.  libgomp (the one OpenMP runtime strata and oneDNN share) reads its wait
// policy once, while it initialises, before main; so each setting runs this same program as a
// child process with that environment.  The child times `steps` calls of a jitted W1 gradient
// step (L = 8, B = 64, F = 512) at 1 and 2 threads, once on an idle machine and once while a
// busy-loop process pinned to the last core runs, and prints p50 / p99 / max.  The ratios that
// matter: busy p99 at 2 threads over busy p99 at 1 thread (the tail under contention), and idle
// p50 over libgomp's default (the price on an idle machine).
//
// Usage: bench_contention [steps]        (default 400)
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench_util.h"

namespace st = strata;

namespace {

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;  // milliseconds
};

// The child: time `steps` gradient steps and print "p50 p99 max" (ms) on stdout.
int run_child(int steps) {
  const int64_t L = 8;
  const bench::Layer p = bench::params(L, bench::kF);
  const st::Array x = bench::uniform({bench::kB, bench::kF}, 1.0f, 3);
  auto loss = [](const bench::Layer& p, const st::Array& x) {
    return st::sum(st::square(bench::w1_forward(p, x)));
  };
  auto step = st::jit(st::grad(loss));
  for (int i = 0; i < 20; ++i) step(p, x);  // compile and warm up
  std::vector<double> ms;
  for (int i = 0; i < steps; ++i) ms.push_back(1e3 * bench::seconds([&] { step(p, x); }));
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))];
  };
  std::printf("%.4f %.4f %.4f\n", at(0.5), at(0.99), ms.back());
  return 0;
}

// A process spinning on the last core until killed.
pid_t start_busy_loop() {
  const pid_t pid = fork();
  if (pid == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)) - 1, &set);
    sched_setaffinity(0, sizeof(set), &set);
    volatile uint64_t n = 0;
    for (;;) n = n + 1;
  }
  return pid;
}

// This program's path (a child command line's /proc/self/exe would name `env`).
std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("bench_contention");
}

// One OpenMP setting: its name and the environment the child gets (libgomp's own variables).
struct Setting {
  const char* name;
  const char* env;
};
constexpr Setting kSettings[] = {
    {"default", ""},  // libgomp: spin 300000 iterations, then sleep
    {"bind", "OMP_PROC_BIND=true"},
    {"spin1000", "GOMP_SPINCOUNT=1000"},
    {"passive", "OMP_WAIT_POLICY=passive"},
};

Percentiles run_config(const Setting& setting, int threads, bool busy, int steps) {
  const std::string cmd =
      std::string("env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u OMP_PROC_BIND ") + setting.env +
      " STRATA_NUM_THREADS=" + std::to_string(threads) + " " + self_path() + " --child " +
      std::to_string(steps);
  const pid_t loop = busy ? start_busy_loop() : 0;
  FILE* out = popen(cmd.c_str(), "r");
  Percentiles p;
  const bool ok = out && std::fscanf(out, "%lf %lf %lf", &p.p50, &p.p99, &p.max) == 3;
  if (out) pclose(out);
  if (loop > 0) {
    kill(loop, SIGKILL);
    waitpid(loop, nullptr, 0);
  }
  if (!ok) {
    std::fprintf(stderr, "child failed: %s\n", cmd.c_str());
    std::exit(1);
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--child") == 0) {
    return run_child(argc >= 3 ? std::atoi(argv[2]) : 400);
  }
  const int steps = argc >= 2 ? std::atoi(argv[1]) : 400;
  std::printf(
      "W1 gradient step (L=8, B=64, F=512), %d steps per configuration, %ld cores;\n"
      "busy = another process spins on the last core.  Times in ms.\n\n",
      steps, sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%-8s %7s | %8s %8s %8s | %8s %8s %8s\n", "setting", "threads", "idle p50", "p99",
              "max", "busy p50", "p99", "max");
  std::map<std::string, std::map<int, std::pair<Percentiles, Percentiles>>> r;
  for (const Setting& setting : kSettings) {
    for (int threads : {1, 2}) {
      const Percentiles idle = run_config(setting, threads, false, steps);
      const Percentiles busy = run_config(setting, threads, true, steps);
      r[setting.name][threads] = {idle, busy};
      std::printf("%-8s %7d | %8.2f %8.2f %8.2f | %8.2f %8.2f %8.2f\n", setting.name, threads,
                  idle.p50, idle.p99, idle.max, busy.p50, busy.p99, busy.max);
      std::fflush(stdout);
    }
  }
  std::printf("\n%-8s %26s %28s\n", "setting", "busy p99 2 thr / 1 thr",
              "idle p50 2 thr / default");
  const double base = r["default"][2].first.p50;
  for (const Setting& setting : kSettings) {
    const auto& x = r[setting.name];
    std::printf("%-8s %26.2f %28.3f\n", setting.name, x.at(2).second.p99 / x.at(1).second.p99,
                x.at(2).first.p50 / base);
  }
  return 0;
}
