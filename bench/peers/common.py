"""Shared by the peer scripts: the command line every benchmark program (strata's bench_peers
too) accepts, the measurement protocol and the JSON line it prints."""
import argparse
import json
import time

# Design §6 shapes, identical in every system.
W1_B, W1_F = 64, 512
W2_D, W2_HEADS, W2_BATCH, W2_SEQ = 256, 4, 8, 128
LM_VOCAB, LM_CONTEXT, LM_WIDTH, LM_HEADS, LM_BATCH = 64, 32, 128, 4, 32


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("workload", choices=["w1", "w2", "train"])
    p.add_argument("variant")
    p.add_argument("L", type=int)
    p.add_argument("--compile-only", action="store_true")
    p.add_argument("--reps", type=int, default=10)
    return p.parse_args()


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return -1


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def measure(args, compile_fn, step_fn, prepare=None):
    """compile_fn() builds a ready executable (its time is compile_s); step_fn() runs one step to
    completion.  Two warm-up steps, then args.reps timed ones (median).  Memory as in
    bench/bench_peers.cpp: peak RSS since just before compiling, and over the timed steps only,
    less the RSS there.  prepare() runs after that base is taken and before compiling (untimed)."""
    reset_peak()
    base = status_kib("VmRSS:")
    if prepare:
        prepare()
    t0 = time.perf_counter()
    compile_fn()
    compile_s = time.perf_counter() - t0
    step_ms = peak = steady = 0.0
    if not args.compile_only:
        step_fn()
        step_fn()
        peak = (status_kib("VmHWM:") - base) / 1024
        reset_peak()
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            step_fn()
            times.append((time.perf_counter() - t0) * 1e3)
        step_ms = sorted(times)[len(times) // 2]
        steady = (status_kib("VmHWM:") - base) / 1024
        peak = max(peak, steady)
    return compile_s, step_ms, peak, steady


def report(system, args, result):
    compile_s, step_ms, peak, steady = result
    print(json.dumps({"system": system, "workload": args.workload, "variant": args.variant,
                      "L": args.L, "compile_s": round(compile_s, 6), "step_ms": round(step_ms, 4),
                      "peak_mib": round(peak, 1), "steady_mib": round(steady, 1)}), flush=True)
