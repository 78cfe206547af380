"""Runs strata's bench_peers and the JAX and PyTorch peer scripts case by case, interleaved (each
round runs every system on a case before moving on, in a rotating order), and prints the tables
of bench/README.md ("Peers"): step times and their ratios, peak memory, compile times.
Called by scripts/bench-peers, which builds bench_peers and the .venv-peers environment.
  python run.py STRATA_BENCH PEERS_PYTHON [--rounds N] [--reps N] [--timeout S] [--quick]
Every process's JSON line is appended to bench/peers/results.jsonl (git-ignored) as it comes."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# (workload, L, {system: [variants]}) for the step-time and memory tables.
STEP_CASES = [("w1", L, {"strata": ["scan", "unrolled"], "jax": ["scan", "unrolled"],
                         "torch": ["eager", "compile"]}) for L in (8, 32, 96)]
STEP_CASES += [("w2", L, {"strata": ["scan", "unrolled"], "jax": ["scan", "unrolled"],
                          "torch": ["eager", "compile"]}) for L in (12, 48)]
STEP_CASES += [("train", 16, {"strata": ["scan"], "jax": ["scan"],
                              "torch": ["eager", "compile"]})]
# Compile time to a ready fwd+bwd executable (torch: torch.compile's first call).
COMPILE_CASES = [(w, L, {"strata": ["scan", "unrolled"], "jax": ["scan", "unrolled"],
                         "torch": ["compile"]}) for w in ("w1", "w2") for L in (1, 32, 96, 256)]


def command(args, system, workload, variant, L, compile_only):
    extra = ["--reps", str(args.reps)] + (["--compile-only"] if compile_only else [])
    if system == "strata":
        return [args.strata, workload, variant, str(L)] + extra
    script = os.path.join(HERE, f"{system}_peer.py")
    return [args.python, script, workload, variant, str(L)] + extra


def record(r):
    with open(os.path.join(HERE, "results.jsonl"), "a") as f:
        f.write(json.dumps(r) + "\n")


def run_one(args, system, workload, variant, L, compile_only):
    # Inductor keeps compiled graphs and kernels on disk by default, so a second process would
    # load them instead of compiling: every compile time here is a cold one.
    env = dict(os.environ, STRATA_NUM_THREADS="2", OMP_NUM_THREADS="2",
               TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore",
               TORCHINDUCTOR_FORCE_DISABLE_CACHES="1")
    cmd = command(args, system, workload, variant, L, compile_only)
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env,
                           cwd=HERE)
    except subprocess.TimeoutExpired:
        print(f"  {system} {workload} {variant} L={L}: over {args.timeout} s", flush=True)
        r = {"system": system, "workload": workload, "variant": variant, "L": L,
             "timeout": args.timeout, "compile_only": compile_only}
        record(r)
        return r
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not lines:
        print(f"  {system} {workload} {variant} L={L}: failed\n{p.stderr[-2000:]}", flush=True)
        return {"system": system, "workload": workload, "variant": variant, "L": L,
                "failed": True, "compile_only": compile_only}
    r = json.loads(lines[-1])
    r["compile_only"] = compile_only
    r["wall_s"] = round(time.time() - t0, 1)
    record(r)
    print(f"  {system:6} {workload:5} {variant:8} L={L:<4} compile {r['compile_s']:9.3f} s  "
          f"step {r['step_ms']:10.2f} ms  peak {r['peak_mib']:7.1f} MiB", flush=True)
    return r


def interleaved(args, cases, rounds, compile_only):
    results = {}  # (workload, L, system, variant) -> [result per round]
    for workload, L, systems in cases:
        if args.workloads and workload not in args.workloads:
            continue
        runs = [(s, v) for s, vs in systems.items() for v in vs
                if not args.systems or s in args.systems]
        for r in range(rounds):
            for i in range(len(runs)):
                s, v = runs[(i + r) % len(runs)]
                results.setdefault((workload, L, s, v), []).append(
                    run_one(args, s, workload, v, L, compile_only))
    return results


def med(rs, field):
    vals = [r[field] for r in rs if field in r]
    return statistics.median(vals) if vals else None


def fmt(v, digits=1, unit=""):
    return "—" if v is None else f"{v:.{digits}f}{unit}"


def step_tables(results):
    print("\n### Step time (fwd+bwd; train: + clip + AdamW), 2 threads, ms (median of rounds)\n")
    print("| workload | L | strata scan | strata unrolled | JAX scan | JAX unrolled | torch eager "
          "| torch.compile | best peer / strata scan |")
    print("|---|---|---|---|---|---|---|---|---|")
    keys = sorted({(w, L) for (w, L, _, _) in results}, key=lambda k: (k[0], k[1]))
    for w, L in keys:
        cell = {(s, v): med(results.get((w, L, s, v), []), "step_ms")
                for s, v in [("strata", "scan"), ("strata", "unrolled"), ("jax", "scan"),
                             ("jax", "unrolled"), ("torch", "eager"), ("torch", "compile")]}
        peers = [t for (s, _), t in cell.items() if s != "strata" and t]
        ratio = min(peers) / cell[("strata", "scan")] if peers and cell[("strata", "scan")] else None
        print(f"| {w} | {L} | " + " | ".join(fmt(t) for t in cell.values()) +
              f" | **{fmt(ratio, 2, '×')}** |")
    print("\n### Peak memory of the step (MiB above the inputs and parameters; steady / with "
          "compile)\n")
    print("| workload | L | strata scan | JAX scan | torch eager | torch.compile |")
    print("|---|---|---|---|---|---|")
    for w, L in keys:
        row = []
        for s, v in [("strata", "scan"), ("jax", "scan"), ("torch", "eager"), ("torch", "compile")]:
            rs = results.get((w, L, s, v), [])
            row.append(f"{fmt(med(rs, 'steady_mib'))} / {fmt(med(rs, 'peak_mib'))}")
        print(f"| {w} | {L} | " + " | ".join(row) + " |")


def compile_table(results):
    print("\n### Compile time to a ready fwd+bwd executable, seconds\n")
    print("| workload | L | strata scan | strata unrolled | JAX scan | JAX unrolled | torch.compile "
          "| JAX scan / strata scan |")
    print("|---|---|---|---|---|---|---|---|")
    keys = sorted({(w, L) for (w, L, _, _) in results})
    for w, L in keys:
        vals = []
        for s, v in [("strata", "scan"), ("strata", "unrolled"), ("jax", "scan"),
                     ("jax", "unrolled"), ("torch", "compile")]:
            rs = results.get((w, L, s, v), [])
            if any("timeout" in r for r in rs):
                vals.append(None)
            else:
                vals.append(med(rs, "compile_s"))
        ratio = vals[2] / vals[0] if vals[0] and vals[2] else None
        cells = [fmt(v, 3) if v is not None else f"> {int(rs_timeout(results, w, L, sv))} s"
                 if rs_timeout(results, w, L, sv) else "—"
                 for v, sv in zip(vals, [("strata", "scan"), ("strata", "unrolled"),
                                         ("jax", "scan"), ("jax", "unrolled"),
                                         ("torch", "compile")])]
        print(f"| {w} | {L} | " + " | ".join(cells) + f" | **{fmt(ratio, 0, '×')}** |")


def rs_timeout(results, w, L, sv):
    for r in results.get((w, L) + sv, []):
        if "timeout" in r:
            return r["timeout"]
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("strata")
    p.add_argument("python")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--only", choices=["step", "compile"], default=None)
    p.add_argument("--systems", nargs="+", choices=["strata", "jax", "torch"], default=None)
    p.add_argument("--workloads", nargs="+", choices=["w1", "w2", "train"], default=None)
    p.add_argument("--tables-from", metavar="JSONL", default=None,
                   help="print the tables of earlier runs' results (for a compile case, the "
                        "latest line wins; step cases take the median of all lines) and stop")
    args = p.parse_args()
    if args.tables_from:
        step_results, compile_results = {}, {}
        with open(args.tables_from) as f:
            for line in f:
                r = json.loads(line)
                key = (r["workload"], r["L"], r["system"], r["variant"])
                if r.get("compile_only"):
                    compile_results[key] = [r]
                else:
                    step_results.setdefault(key, []).append(r)
        step_tables(step_results)
        compile_table(compile_results)
        return
    if args.only != "compile":
        print("step time and memory:", flush=True)
        step_results = interleaved(args, STEP_CASES, args.rounds, False)
    if args.only != "step":
        print("compile time:", flush=True)
        compile_results = interleaved(args, COMPILE_CASES, 1, True)
    if args.only != "compile":
        step_tables(step_results)
    if args.only != "step":
        compile_table(compile_results)


if __name__ == "__main__":
    sys.exit(main())
