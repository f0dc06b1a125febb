"""The performance gate: run the benchmarks, then compare numba with NumPy in the same run.

    python benchmarks/check_ratios.py --short      # CI: a few minutes on 2 cores
    python benchmarks/check_ratios.py              # the full sizes (RACKPLAN_BENCH_FULL=1 too
                                                   # for the 10^9-point sweep)
    python benchmarks/check_ratios.py --json FILE  # only read a pytest-benchmark JSON

It runs ``pytest benchmarks --benchmark-only --benchmark-json=benchmarks/results/<mode>.json``,
reads the JSON, and for every benchmark group timed with both ``impl=numpy`` and
``impl=numba`` prints the median ratio numpy/numba (how many times faster numba is) beside its
target. It exits non-zero when a ratio falls below HALF its target, when a gated group was
measured for one implementation only, or when the benchmarks themselves fail (each checks its
result against the other implementation, so a fast wrong answer fails here too).

Only ratios are gated: on a shared machine absolute times move with the neighbours, a ratio
measured in one run much less. Absolute figures (CLI response times, scenarios per second,
the 10^9-point sweep's peak memory) are printed for the record.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (group prefix, target numpy/numba median ratio, where the target comes from). A group is
#: gated by the first prefix it starts with; the gate fails below half the target.
TARGETS = (
    ("sweep", 10.0, "issue 4: a sweep at least 10 times its NumPy twin"),
    ("montecarlo", 3.0, "issue 4: Monte Carlo at least 3 times its NumPy twin"),
    # Set from the ratios measured in short mode on the 2-core machine (benchmarks/README.md),
    # with room for a noisy neighbour: sizing 3.7-3.9x, cash flows 69-331x and 27-65x.
    ("capacity", 3.0, "measured 3.7-3.9x (benchmarks/README.md)"),
    ("cashflow-timepaths", 10.0, "measured 27-65x (benchmarks/README.md)"),
    ("cashflow", 20.0, "measured 69-331x (benchmarks/README.md)"),
)
DEFAULT_TARGET = (2.0, "default: numba must not be slower than NumPy")
SHORT_MAX_TIME = "0.5"  # seconds per benchmark before pytest-benchmark stops adding rounds


def target_for(group: str) -> tuple[float, str]:
    for prefix, target, why in TARGETS:
        if group == prefix or group.startswith(prefix + "-") or group.startswith(prefix + "_"):
            return target, why
    return DEFAULT_TARGET


def run_benchmarks(out: Path, short: bool, extra: list[str]) -> int:
    env = dict(os.environ)
    if short:
        env["RACKPLAN_BENCH_SHORT"] = "1"
    cmd = [sys.executable, "-m", "pytest", str(HERE), "--benchmark-only",
           f"--benchmark-json={out}", "-q", "-p", "no:cacheprovider", *extra]
    if short:
        cmd.append(f"--benchmark-max-time={SHORT_MAX_TIME}")
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd, env=env, cwd=HERE.parent)


def read(path: Path) -> tuple[dict[str, dict[str, float]], list[dict]]:
    """``{group: {impl: median_s}}`` for numpy/numba pairs, and the other benchmarks."""
    data = json.loads(path.read_text())
    pairs: dict[str, dict[str, float]] = {}
    others = []
    for bench in data.get("benchmarks", []):
        group = bench.get("group") or bench["name"]
        impl = (bench.get("params") or {}).get("impl")
        median = bench["stats"]["median"]
        if impl in ("numpy", "numba"):
            pairs.setdefault(group, {})[impl] = median
        else:
            others.append({"group": group, "name": bench["name"], "median": median,
                           "extra": bench.get("extra_info", {})})
    return pairs, others


def check(pairs: dict[str, dict[str, float]]) -> tuple[list[list[str]], bool]:
    rows, ok = [], True
    for group in sorted(pairs):
        impls = pairs[group]
        target, why = target_for(group)
        if set(impls) != {"numpy", "numba"}:
            rows.append([group, _s(impls.get("numpy")), _s(impls.get("numba")), "-",
                         f"{target:g}", "FAIL: one implementation only", why])
            ok = False
            continue
        ratio = impls["numpy"] / impls["numba"]
        passed = ratio >= target / 2
        ok &= passed
        status = ("ok" if ratio >= target else "ok (below target, above half)") if passed \
            else "FAIL: below half the target"
        rows.append([group, _s(impls["numpy"]), _s(impls["numba"]), f"{ratio:.1f}x",
                     f"{target:g}x", status, why])
    return rows, ok


def _s(seconds) -> str:
    return "-" if seconds is None else f"{seconds:.4f} s"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def describe_other(bench: dict) -> list[str]:
    extra = bench["extra"]
    notes = []
    if "target_s" in extra:
        verdict = "within" if bench["median"] <= extra["target_s"] else "OVER"
        notes.append(f"target {extra['target_s']} s: {verdict}")
    for key in ("scenarios_per_s", "points_per_s", "paths_per_s"):
        if key in extra:
            notes.append(f"{extra[key]:,.0f} {key.replace('_per_s', '')}/s")
    if "peak_rss_mb" in extra:
        notes.append(f"{extra.get('points', 0):,} points, peak RSS {extra['peak_rss_mb']:,.0f} MB"
                     f" (budget {extra.get('memory_budget', '?')})")
    if "extrapolated_s_1e9" in extra and not extra.get("full"):
        notes.append(f"extrapolated to 1e9 points: {extra['extrapolated_s_1e9']:,.0f} s")
    return [bench["group"], bench["name"], _s(bench["median"]), "; ".join(notes)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true",
                        help="CI mode: smaller sizes, at most ~0.5 s of rounds per benchmark")
    parser.add_argument("--json", type=Path, help="read this benchmark JSON; do not run")
    parser.add_argument("--out", type=Path, help="where to write the JSON "
                        "(default benchmarks/results/short.json or full.json)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)

    path = args.json
    pytest_failed = 0
    if path is None:
        path = args.out or HERE / "results" / ("short.json" if args.short else "full.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        code = run_benchmarks(path, args.short, args.pytest_args)
        if code not in (0, 5):  # 5: no benchmarks collected
            # a benchmark whose result disagrees with its twin fails: no ratio excuses that
            pytest_failed = code
    if not path.exists():
        print(f"check_ratios: no results in {path}", file=sys.stderr)
        return 1
    pairs, others = read(path)
    rows, ok = check(pairs)
    print()
    print(f"numba vs NumPy, median times, same run ({platform.processor() or platform.machine()}"
          f", {os.cpu_count()} cores; {path.relative_to(HERE.parent) if path.is_relative_to(HERE.parent) else path})")
    print(_table(["group", "numpy", "numba", "ratio", "target", "status", "target from"], rows))
    if others:
        print()
        print("absolute figures (recorded, not gated)")
        print(_table(["group", "benchmark", "median", "notes"], [describe_other(b) for b in others]))
    print()
    if pytest_failed:
        print(f"check_ratios: FAILED: the benchmarks themselves failed (pytest exit "
              f"{pytest_failed}); see above")
        return pytest_failed
    print("check_ratios: " + ("all ratios at least half their targets" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
