"""Fuzzing the command line: generated files and argument lists, run in-process.

Every run must end in exit 0 with finite numbers, or exit 2 with one line naming the file or
flag and the field (the contract is spelled out in ``fuzz_strategies``). The CI profile draws a
bounded, derandomized set of examples (about a minute on two cores); a long campaign is
``HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py -x`` (docs/testing.md, "Fuzzing").

Broken files that a campaign found are in ``tests/data/broken/fuzz/``, named by the command they
go with (``site-*.toml``, ``profile-*.toml``, ``market-*.toml``); ``test_fixture`` runs each.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzz_strategies as fz
from fuzz_strategies import FileCase, check, examples, run_cli

_counter = itertools.count()


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    """One folder for the module's generated files (hypothesis re-runs a test body many times
    within one call, so a function-scoped tmp_path would be shared anyway)."""
    return Path(os.path.realpath(tmp_path_factory.mktemp("fuzz")))


def write(tmp: Path, kind: str, data: bytes, stem: str | None = None) -> Path:
    """A fresh path every time (a cache by path must not hide a file's new content); with
    ``stem``, the file keeps a built-in's name, so its id is the built-in's (a GPU profile
    file then finds its price in the market)."""
    n = next(_counter)
    if stem is None:
        path = tmp / f"{kind}-{n:06d}.toml"
    else:
        (tmp / f"{n:06d}").mkdir()
        path = tmp / f"{n:06d}" / f"{stem}.toml"
    path.write_bytes(data)
    return path


def file_context(case: FileCase, path: Path) -> str:
    return f"file ({len(case.data):,} bytes) {path.name}: {case!r}\n" + \
        f"content: {fz._short(case.data, 500)}"


def run_file_case(tmp: Path, case: FileCase, argv_for) -> fz.Run:
    path = write(tmp, case.kind, case.data, case.base)
    argv, flag = argv_for(str(path))
    run = run_cli(argv)
    check(run, sources=[str(path)] + ([flag] if flag else []),
          fields=case.fields if case.field_level else (), tmp=tmp,
          context=file_context(case, path))
    path.unlink()
    path.parent.rmdir()
    return run


# --- generated files --------------------------------------------------------------------------

@settings(max_examples=examples(100), **fz.RECORDING)
@given(case=fz.files("site"), command=st.sampled_from(["size", "compare"]), fmt=fz.formats())
def test_site_files(tmp, case, command, fmt):
    run_file_case(tmp, case, lambda p: ([command, "--site", p, "--format", fmt], None))


@settings(max_examples=examples(100), **fz.RECORDING)
@given(case=fz.files("profile"), command=st.sampled_from(["size", "show", "compare"]),
       fmt=fz.formats())
def test_profile_files(tmp, case, command, fmt):
    def argv(p):
        if command == "size":
            return ["size", "--profile", p, "--format", fmt], "--profile"
        if command == "show":
            return ["profiles", "show", p, "--format", fmt], None
        flag = "--gpu-profile" if fz.PROFILE_KIND[case.base] == "gpu" else "--mining-profile"
        return ["compare", flag, p, "--format", fmt], flag

    run_file_case(tmp, case, argv)


@settings(max_examples=examples(100), **fz.RECORDING)
@given(case=fz.files("market"), command=st.sampled_from(["compare", "hashprice"]),
       fmt=fz.formats())
def test_market_files(tmp, case, command, fmt):
    run_file_case(tmp, case, lambda p: ([command, "--market", p, "--format", fmt], None))


EXTREME_FLAGS = {
    "size": [("--site", "site", None), ("--profile", "profile", None)],
    "compare": [("--site", "site", None), ("--mining-profile", "profile", tuple(fz.ASIC_IDS)),
                ("--gpu-profile", "profile", tuple(fz.GPU_IDS)), ("--market", "market", None)],
    "hashprice": [("--market", "market", None)],
}
for _study in ("sweep", "montecarlo", "breakeven"):
    EXTREME_FLAGS[_study] = EXTREME_FLAGS["compare"]
#: What a study needs besides its files: a tiny grid, a few paths.
STUDY_ARGS = {"sweep": ["--vary", "btc_price=50000,100000", "--no-progress"],
              "montecarlo": ["--paths", "20", "--seed", "3"],
              "breakeven": ["--x", "gpu_hour_price=2,4", "--y", "power_price=20,40"]}


@settings(max_examples=examples(120), **fz.RECORDING)
@given(command=st.sampled_from(["size", "compare", "compare", "hashprice", "sweep",
                                "montecarlo", "breakeven"]), fmt=fz.formats(), data=st.data())
def test_extreme_inputs(tmp, command, fmt, data):
    """Well-formed files and --set values with numbers at the ends of their ranges (zero,
    subnormal, huge, just inside a bound): a finite result in every format, or one line."""
    argv, paths, cases, fields = [command, *STUDY_ARGS.get(command, [])], [], [], set()
    flags = data.draw(st.lists(st.sampled_from(EXTREME_FLAGS[command]), min_size=1,
                               unique=True))
    for flag, kind, stems in flags:
        case = data.draw(fz.extreme_files(kind, stems))
        path = write(tmp, kind, case.data, case.base)
        argv += [flag, str(path)]
        paths.append(str(path))
        cases.append(f"{flag} {case!r}")
        fields |= case.fields
    if command != "hashprice":
        names = fz.site_set_names() + (fz.market_set_names() if command != "size" else [])
        for _ in range(data.draw(st.integers(0, 2))):
            argv += data.draw(fz.extreme_set_args(names))
    argv += ["--format", fmt]
    run = run_cli(argv)
    check(run, sources=set(paths) | fz.said(argv), fields=fields, tmp=tmp,
          context="\n".join(cases))


def check_validate(run: fz.Run, paths: list[str], tmp: Path, context: str = "") -> None:
    """``profiles validate``: ``FILE: ok`` on stdout per valid file, one line per invalid file
    on stderr starting ``FILE: ``, in order, each file once; exit 2 if any is invalid."""
    fz._event(run)
    if run.error is not None:
        fz._fail(run, "an exception escaped main() (a traceback for the user)", context)
    if run.code not in (0, 2):
        fz._fail(run, "exit code is neither 0 nor 2", context)
    if "Traceback" in run.err or run.warnings:
        fz._fail(run, "a traceback or a Python warning on stderr", context)
    ok = run.out.splitlines()
    bad = run.err.splitlines()
    if any(not line.endswith(": ok") for line in ok):
        fz._fail(run, "stdout holds a line other than 'FILE: ok'", context)
    named = [line[: -len(": ok")] for line in ok]
    for line in bad:
        owner = next((p for p in paths if line.startswith(p + ": ")), None)
        if owner is None:
            fz._fail(run, f"an error line that does not start with its file: {line[:120]!r}",
                     context)
        named.append(owner)
        fz._check_line(run, line, [owner], (), tmp, context)
    if sorted(named) != sorted(paths):
        fz._fail(run, f"{len(paths)} files, {len(ok)} ok lines and {len(bad)} error lines",
                 context)
    if run.code != (2 if bad else 0):
        fz._fail(run, "the exit code does not match the error lines", context)


@settings(max_examples=examples(50), **fz.RECORDING)
@given(cases=st.lists(st.one_of(fz.files("profile"), fz.files("profile", damage=False)),
                      min_size=1, max_size=4))
def test_profiles_validate_checks_every_file(tmp, cases):
    paths = [str(write(tmp, "profile", c.data)) for c in cases]
    run = run_cli(["profiles", "validate", *paths])
    check_validate(run, paths, tmp, "\n".join(f"{Path(p).name}: {c!r}"
                                               for p, c in zip(paths, cases)))


@settings(max_examples=examples(50), **fz.RECORDING)
@given(kind=st.sampled_from(["site", "profile", "market"]), data=st.data())
def test_text_is_printed_as_text(tmp, kind, data):
    """Names, vendors and sources with markup, escapes and unicode: a valid input, printed as
    text. Exit 0 (or one line, should a rule refuse control characters in names)."""
    case = data.draw(fz.text_files(kind))
    path = str(write(tmp, kind, case.data))
    fmt = data.draw(fz.formats())
    argv = {"site": ["size", "--site", path, "--format", fmt],
            "profile": ["profiles", "show", path, "--format", fmt],
            "market": ["compare", "--market", path, "--format", fmt]}[kind]
    run = run_cli(argv)
    context = file_context(case, Path(path))
    check(run, sources=[path], tmp=tmp, context=context)
    if run.code == 0 and fmt == "table" and kind == "site":
        name = tomllib.loads(case.data.decode())["name"]
        if name.isascii() and name.isprintable() and name.strip() == name and len(name) <= 30:
            if name not in run.out:
                fz._fail(run, f"the site name {name!r} is not printed as it is", context)


# --- command lines ----------------------------------------------------------------------------

@settings(max_examples=examples(100), **fz.RECORDING)
@given(command=st.sampled_from(["size", "compare"]), data=st.data())
def test_set_overrides(command, data):
    names = fz.site_set_names() + (fz.market_set_names() if command == "compare" else [])
    argv = [command]
    for _ in range(data.draw(st.integers(1, 3))):
        argv += data.draw(fz.set_args(names))
    if command == "compare" and data.draw(st.booleans()):
        argv += ["--years", data.draw(st.sampled_from(
            ["1", "2", "5", "50", "0", "-1", "51", "1000", "1e3", "2.5", "abc", "", "9" * 30]))]
    if command == "size" and data.draw(st.booleans()):
        argv += ["--basis", data.draw(st.sampled_from(["max", "typical", "MAX", "x"]))]
    argv += ["--format", data.draw(fz.formats())]
    run = run_cli(argv)
    check(run, sources=fz.said(argv))


HASHPRICE_FLAGS = ["--btc-price", "--difficulty", "--network-hashrate", "--fees-per-block",
                   "--block-height", "--pool-fee", "--power-price"]


@settings(max_examples=examples(80), **fz.RECORDING)
@given(flags=st.lists(st.sampled_from(HASHPRICE_FLAGS), min_size=1, max_size=4, unique=True),
       data=st.data())
def test_hashprice_flags(flags, data):
    argv = ["hashprice"]
    for flag in flags:
        argv += [flag, data.draw(fz.flag_numbers())]
    if data.draw(st.integers(0, 4)) == 0:
        argv += ["--market", data.draw(st.sampled_from(["2025-11-13", "2025-11-14", "x.toml",
                                                        "", "/nonexistent/m.toml"]))]
    argv += ["--format", data.draw(fz.formats())]
    run = run_cli(argv)
    check(run, sources=fz.said(argv))


def _common_study_args(data, tmp) -> list[str]:
    argv: list[str] = []
    if data.draw(st.integers(0, 2)) == 0:
        argv += ["--years", data.draw(st.sampled_from(["1", "2", "5", "0", "-1", "51", "abc",
                                                       "1.5"]))]
    if data.draw(st.integers(0, 3)) == 0:
        argv += data.draw(fz.set_args(fz.site_set_names() + fz.market_set_names()))
    if data.draw(st.integers(0, 5)) == 0:
        ext = data.draw(st.sampled_from([".nc", ".csv", ".json", ".xlsx", "", "/"]))
        target = data.draw(st.sampled_from(["file", "folder", "missing-dir", "proc"]))
        if target == "file":
            out = tmp / f"out-{next(_counter):06d}{ext}"
        elif target == "folder":
            out = tmp / f"dir-{next(_counter):06d}{ext}"
            out.mkdir(exist_ok=True)
        elif target == "missing-dir":
            out = tmp / "no-such-dir" / f"x{ext}"
        else:
            out = Path(f"/proc/self/x{ext}")
        argv += ["--out", str(out)]
    argv += ["--format", data.draw(fz.formats())]
    return argv


@settings(max_examples=examples(80), **fz.RECORDING)
@given(command=st.sampled_from(["sweep", "montecarlo", "breakeven"]), data=st.data())
def test_study_options(tmp, command, data):
    argv = [command]
    if command == "sweep":
        for _ in range(data.draw(st.integers(1, 3))):
            argv += data.draw(fz.vary_args())
        if data.draw(st.booleans()):
            argv += ["--chunks", data.draw(st.sampled_from(
                ["auto", "off", "10", "100", "0", "-1", "nan", "inf", "1e400", "abc", "2.5"]))]
        if data.draw(st.booleans()):
            argv += ["--memory-budget", data.draw(st.sampled_from(
                ["2 GB", "1 kB", "0 B", "-1 GB", "1e400 GB", "nan GB", "abc", "100 TB",
                 "1 W", "5e-324 B", ""]))]
        argv.append(data.draw(st.sampled_from(["--no-progress", "--no-progress", "--progress"])))
    elif command == "montecarlo":
        argv += ["--paths", data.draw(st.sampled_from(
            ["1", "2", "7", "100", "300", "0", "-1", "abc", "1.5", "1e3", "", str(10**9),
             "9" * 30]))]
        if data.draw(st.booleans()):
            argv += ["--seed", data.draw(st.sampled_from(
                ["0", "7", "-1", str(2**63), str(2**64), str(2**100), "abc", "1.5"]))]
        for flag in data.draw(st.lists(st.sampled_from(
                ["--btc-drift", "--btc-volatility", "--difficulty-volatility",
                 "--gpu-price-volatility", "--utilization-volatility", "--correlation"]),
                max_size=3, unique=True)):
            argv += [flag, data.draw(st.one_of(fz.flag_numbers(), st.sampled_from(
                ["0", "0.1", "0.45", "1", "5", "100", "-0.5", "-1", "0.99", "10 %", "-99 %",
                 "1000 %", "1e-300"])))]
        if data.draw(st.integers(0, 3)) == 0:
            argv += ["--memory-budget", data.draw(st.sampled_from(
                ["2 GB", "1 kB", "0 B", "100 TB", "abc", "nan GB"]))]
    else:
        argv += data.draw(fz.vary_args("--x")) + data.draw(fz.vary_args("--y"))
        if data.draw(st.booleans()):
            argv += ["--solve-for", data.draw(st.sampled_from(
                ["btc_price", "gpu_hour_price", "power_price", "pue", "x", ""]))]
    argv += _common_study_args(data, tmp)
    run = run_cli(argv)
    check(run, sources=fz.said(argv), tmp=tmp)


@settings(max_examples=examples(80), **fz.RECORDING)
@given(command=st.sampled_from(["sweep", "montecarlo", "breakeven"]), fmt=fz.formats(),
       data=st.data())
def test_study_extremes(tmp, command, fmt, data):
    """Studies over well-formed axes and options whose values reach the ends of their ranges:
    the summary is finite in every format (undefined figures null, empty or n/a), or one line."""
    argv = [command]
    if command == "sweep":
        names = set()
        for _ in range(data.draw(st.integers(1, 2))):
            axis = data.draw(fz.extreme_vary_args())
            if axis[1].split("=")[0] not in names:
                names.add(axis[1].split("=")[0])
                argv += axis
        argv.append("--no-progress")
    elif command == "montecarlo":
        argv += ["--paths", data.draw(st.sampled_from(["1", "2", "50", "200"])),
                 "--seed", data.draw(st.sampled_from(["0", "7", str(2**63 - 1)]))]
        for flag, values in data.draw(st.lists(st.sampled_from([
                ("--btc-drift", ["-99 %", "-50 %", "0", "10 %", "1000 %"]),
                ("--btc-volatility", ["0", "1e-300", "0.45", "3", "20"]),
                ("--difficulty-volatility", ["0", "0.04", "1", "5"]),
                ("--gpu-price-volatility", ["0", "0.5", "3", "20"]),
                ("--utilization-volatility", ["0", "0.05", "1", "10"]),
                ("--correlation", ["-1", "-0.5", "0", "0.999", "1"]),
                ("--btc-trend-uncertainty", ["0", "0.14", "1", "5"]),
                ("--gpu-trend-uncertainty", ["0", "0.1", "1", "-1"])]),
                max_size=3, unique_by=lambda fv: fv[0])):
            argv += [flag, data.draw(st.sampled_from(values))]
    else:
        x = data.draw(fz.extreme_vary_args("--x"))
        y = data.draw(fz.extreme_vary_args("--y").filter(
            lambda a: a[1].split("=")[0] != x[1].split("=")[0]))
        argv += x + y + ["--solve-for", data.draw(st.sampled_from(
            ["btc_price", "gpu_hour_price", "power_price"]))]
    for _ in range(data.draw(st.integers(0, 2))):
        argv += data.draw(fz.extreme_set_args(fz.site_set_names() + fz.market_set_names()))
    argv += ["--years", data.draw(st.sampled_from(["1", "2", "5", "20", "50"])), "--format", fmt]
    out = None
    if data.draw(st.integers(0, 3)) == 0:
        ext = data.draw(st.sampled_from([".nc", ".csv", ".json"]))
        out = tmp / f"study-{next(_counter):06d}{ext}"
        argv += ["--out", str(out)]
    run = run_cli(argv)
    check(run, sources=fz.said(argv), tmp=tmp)
    if out is not None:
        check_out_file(run, out)


def check_out_file(run: fz.Run, out: Path) -> None:
    """``--out``: written whole on exit 0; nothing left behind on exit 2 (no partial file)."""
    left = [p.name for p in out.parent.glob(out.name + "*")] + \
        [p.name for p in out.parent.glob("." + out.name + "*")]
    if run.code == 0 and not (out.is_file() and out.stat().st_size > 0):
        fz._fail(run, f"exit 0, but {out.name} was not written")
    if run.code == 0 and sorted(left) != [out.name]:
        fz._fail(run, f"files left beside {out.name}: {sorted(left)}")
    if run.code == 2 and left:
        fz._fail(run, f"exit 2, but files were left behind: {sorted(left)}")
    for name in left:
        (out.parent / name).unlink()


def _command_options() -> dict[tuple[str, ...], list[tuple[str, bool]]]:
    """Every command's options as ``(flag, takes a value)``, read from the click app."""
    import typer.main

    from rackplan.cli import economics_cmd, profiles_cmd, size_cmd, study_cmd  # noqa: F401
    from rackplan.cli.app import app

    group = typer.main.get_command(app)
    out = {}

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                if not sub.hidden:
                    walk(sub, path + (name,))
            return
        opts = []
        for p in cmd.params:
            for flag in list(p.opts) + list(getattr(p, "secondary_opts", [])):
                if flag.startswith("-") and flag not in ("-h", "--help", "--debug"):
                    opts.append((flag, not getattr(p, "is_flag", False)))
        out[path] = opts

    walk(group, ())
    return out


COMMAND_OPTIONS = _command_options()
#: Values that are cheap whatever option they land on (no big grid, no path count, no file).
TOKEN_VALUES = ["1", "0", "-1", "abc", "", "xml", "json", "1e400", "nan", "btc_price=1:2:2",
                "pue=1.3", "moses-lake", "gb300-nvl72", "2025-11-13", "/nonexistent.toml",
                "18 MW", "--", "-", "--format"]


@settings(max_examples=examples(100), **fz.RECORDING)
@given(command=st.sampled_from(sorted(COMMAND_OPTIONS)), data=st.data())
def test_usage_errors(command, data):
    """Random argument lists: options of the command with and without their values, unknown
    options, stray arguments. typer's own usage errors keep the one-line form too."""
    options = COMMAND_OPTIONS[command]
    # validate takes files, and reports each in its own form: stray words are left out here
    # (test_profiles_validate_checks_every_file covers files).
    validate = command == ("profiles", "validate")
    argv = list(command)
    for _ in range(data.draw(st.integers(0, 4))):
        kind = data.draw(st.sampled_from(["option", "option", "unknown", "stray", "missing"]))
        if kind == "option" and options:
            flag, takes = data.draw(st.sampled_from(options))
            if flag in ("--out", "--scheduler"):
                continue  # files and a 5 s connect timeout: covered elsewhere
            argv.append(flag)
            if takes:
                argv.append(data.draw(st.sampled_from(TOKEN_VALUES)))
        elif kind == "unknown":
            argv.append(data.draw(st.sampled_from(
                ["--nope", "-x", "--site=", "--format=xml", "--Set", "---", "--sweep",
                 "--set=", "--\x1b[31m", "--" + "x" * 300] + ([] if validate else ["-"]))))
        elif kind == "stray" and not validate:
            argv.append(data.draw(st.sampled_from(["junk", "size", "1", "é", "\x1b[1m"])))
        elif kind == "missing" and options:
            argv.append(data.draw(st.sampled_from([f for f, takes in options if takes]
                                                  or ["--format"])))
    if command == ("montecarlo",):
        argv += ["--paths", "50"]  # the default 10,000 paths is fine but slower
    run = run_cli(argv)
    # A usage error names an option of the command or the word it did not expect.
    check(run, sources=fz.said(argv) | {f for f, _ in options})


# --- deterministic cases: big files, encodings, special files, fixtures ------------------------

def _builtin(kind: str) -> tuple[str, dict]:
    return {"site": fz.BASES["site"][-1], "profile": fz.BASES["profile"][0],
            "market": fz.BASES["market"][0]}[kind]


FILE_COMMANDS = {
    "site": [["size", "--site", "{}", "--format", "json"],
             ["compare", "--site", "{}", "--format", "table"]],
    "profile": [["size", "--profile", "{}", "--format", "json"],
                ["profiles", "show", "{}", "--format", "table"],
                ["profiles", "validate", "{}"]],
    "market": [["compare", "--market", "{}", "--format", "json"],
               ["hashprice", "--market", "{}", "--format", "csv"]],
}


def run_commands(kind: str, path: Path, tmp: Path | None, must_fail: bool,
                 context: str = "") -> list[fz.Run]:
    runs = []
    for template in FILE_COMMANDS[kind]:
        argv = [a.replace("{}", str(path)) for a in template]
        run = run_cli(argv)
        if argv[:2] == ["profiles", "validate"]:
            check_validate(run, [str(path)], tmp or path.parent, context)
        else:
            check(run, sources=[str(path), str(path.resolve())], tmp=tmp, context=context)
        if must_fail and run.code != 2:
            fz._fail(run, "a broken file is accepted", context)
        runs.append(run)
    return runs


def _big_variants(kind: str):
    stem, base = _builtin(kind)
    text = fz.toml_dumps(base)
    quantity = next(k for k, v in base.items() if fz._is_quantity_text(v))
    yield "deep-array-extra", text + f"deep = {fz.deep('array')}\n"
    yield "deep-table-extra", text + f"deep = {fz.deep('table')}\n"
    yield "deep-header", text + "[" + ".".join(["t"] * 500) + "]\nx = 1\n"
    yield "deep-array-field", text.replace(
        f'"{quantity}" = ', f'"{quantity}" = {fz.deep("array")}\n"was_{quantity}" = ', 1)
    yield "deep-table-in-table", text + "nested = " + "{a = " * 200 + "1" + "}" * 200 + "\n"
    for field_name, value in (("name", "x" * 100_000), (quantity, "1" * 100_000 + " W"),
                              (quantity, "1 " + "k" * 100_000 + "W"),
                              (quantity, "[b]" * 30_000)):
        doc = dict(base)
        doc[field_name] = value
        yield f"long-{field_name}-{value[:3]!r}", fz.toml_dumps(doc)
    doc = dict(base)
    doc["x" * 100_000] = 1
    yield "long-key", fz.toml_dumps(doc)


BIG = [(kind, label, text) for kind in ("site", "profile", "market")
       for label, text in _big_variants(kind)]


@pytest.mark.parametrize(("kind", "label", "text"), BIG,
                         ids=[f"{k}-{label}" for k, label, _ in BIG])
def test_big_generated_files(tmp, kind, label, text):
    """500-deep nesting and 100,000-character strings: one line each, never a traceback."""
    path = write(tmp, kind, text.encode("utf-8"))
    run_commands(kind, path, tmp, must_fail=not label.startswith("long-name"),
                 context=f"{kind} {label}")


def test_validate_goes_on_after_a_deep_file(tmp):
    good = str(fz.PROFILE_FILES[0])
    deep = str(write(tmp, "profile", f"x = {fz.deep('array')}\n".encode()))
    missing = str(tmp / "missing.toml")
    run = run_cli(["profiles", "validate", deep, good, missing])
    check_validate(run, [deep, good, missing], tmp)
    assert run.out == f"{good}: ok\n"


@pytest.mark.parametrize("kind", ["site", "profile", "market"])
@pytest.mark.parametrize("how", ["bom", "crlf", "bom+crlf"])
def test_encodings_read_as_plain(tmp, kind, how):
    """A UTF-8 byte-order mark (Windows editors write one) and CRLF line ends change nothing."""
    source = {"site": fz.SITE_FILES[-1], "profile": fz.PROFILE_FILES[0],
              "market": fz.MARKET_FILES[0]}[kind]
    data = source.read_bytes()
    if "crlf" in how:
        data = data.replace(b"\n", b"\r\n")
    if "bom" in how:
        data = b"\xef\xbb\xbf" + data
    folder = tmp / f"{how}-{next(_counter):06d}"  # the same file name: the same id
    folder.mkdir()
    path = folder / source.name
    path.write_bytes(data)
    argv = FILE_COMMANDS[kind][0]
    plain = run_cli([a.replace("{}", str(source)) for a in argv])
    run = run_cli([a.replace("{}", str(path)) for a in argv])
    check(run, sources=[str(path)], tmp=tmp)
    assert run.code == 0, f"{how}: {run.err.strip()}"
    strip = lambda out: out.replace(str(path), "F").replace(str(source), "F")  # noqa: E731
    assert strip(run.out) == strip(plain.out)


def test_latin1_file_is_one_line(tmp):
    data = fz.SITE_FILES[-1].read_text(encoding="utf-8").replace('name = "', 'name = "Café ', 1)
    path = write(tmp, "site", data.encode("latin-1"))
    run = run_cli(["size", "--site", str(path), "--format", "json"])
    check(run, sources=[str(path)], tmp=tmp)
    assert run.code == 2


def test_profile_file_edited_between_runs(tmp):
    """The same path read twice, changed in between: the second run sees the change."""
    path = tmp / "edited-profile.toml"
    source = fz.PROFILE_FILES[0].read_text(encoding="utf-8")
    path.write_text(source, encoding="utf-8")
    assert run_cli(["profiles", "validate", str(path)]).code == 0
    path.write_text(source.replace('power_max = "', 'power_max = "-', 1), encoding="utf-8")
    run = run_cli(["profiles", "validate", str(path)])
    check_validate(run, [str(path)], tmp)
    assert run.code == 2, "the second run read a cached profile"


# Special files: each reading may block or exhaust memory, so each runs in a child process
# with a timeout and a memory limit.
_CHILD = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_DATA, (3 << 30, 3 << 30))
    from rackplan.cli import main
    try:
        code = main(sys.argv[1:])
    except BaseException as exc:
        code = f"{type(exc).__name__}: {str(exc)[:200]}"
    sys.stdout.flush()
    sys.stderr.write("\\n@@@" + json.dumps(code) + "\\n")
""")


#: Seconds a child process gets: its imports take about 2 s; a hang is cut here.
HANG_TIMEOUT = 15


def run_child(argv: list[str], timeout: float = 30) -> tuple[object, str, str]:
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD, *argv], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"rackplan {' '.join(argv)} did not finish in {timeout:g} s")
    err, _, tail = proc.stderr.rpartition("\n@@@")
    code = json.loads(tail) if tail.strip() else f"crashed with exit code {proc.returncode}"
    return code, proc.stdout, err


def _check_child(argv, code, out, err, *sources) -> None:
    run = fz.Run(argv, code, out, err)
    if not isinstance(code, int):
        fz._fail(run, f"the child process ended with {code}")
    check(run, sources=list(sources))


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(),
                    reason="POSIX special files")
def test_special_files(tmp):
    """A FIFO (would block for ever), /dev/zero (endless) and a folder: one line each."""
    fifo = tmp / "site-fifo.toml"
    os.mkfifo(fifo)
    argv = ["size", "--site", str(fifo), "--format", "json"]
    _check_child(argv, *run_child(argv), str(fifo))
    for argv in (["size", "--site", "/dev/zero"], ["size", "--profile", "/dev/zero"]):
        _check_child(argv, *run_child(argv), "/dev/zero")
    folder = tmp / "folder.toml"
    folder.mkdir()
    run = run_cli(["compare", "--market", str(folder), "--format", "json"])
    check(run, sources=[str(folder)], tmp=tmp)


#: Command lines a campaign found failing, with a word the error line must hold (the flag the
#: user typed).
CLI_REPRODUCERS = [
    # --set with a TOML array, table or date: the line named the Python argument
    # "overrides['altitude']", not the flag (rackplan/_args.py overrides_mapping).
    (["size", "--set", "altitude=[1]", "--format", "json"], "--set"),
    (["size", "--set", "cooling_plant={}", "--format", "json"], "--set"),
    (["compare", "--set", "btc_price=1979-05-27", "--format", "json"], "--set"),
    # An unknown profile id in compare: the line named "--profile" (rackplan/_io.py resolve).
    (["compare", "--gpu-profile", "nope", "--format", "json"], "--gpu-profile"),
    (["compare", "--mining-profile", "nope", "--format", "json"], "--mining-profile"),
    (["sweep", "--vary", "btc_price=1:2:2", "--gpu-profile", "nope"], "--gpu-profile"),
]
#: Command lines that never returned; each runs in a child process, all at once.
HANG_REPRODUCERS = [
    # A tower of powers in a unit: pint evaluates 9**9**9, a 369-million-digit integer
    # (rackplan/units.py _from_text -> pint pint_eval._power).
    (["size", "--set", "utility_power=1 W*9**9**9", "--format", "json"], "utility_power"),
]


@pytest.mark.parametrize(("argv", "word"), CLI_REPRODUCERS,
                         ids=[" ".join(a[:3])[:40] for a, _ in CLI_REPRODUCERS])
def test_cli_reproducer(argv, word):
    run = run_cli(argv)
    check(run, sources=fz.said(argv))
    assert run.code == 2 and word in run.err, f"the line does not name {word}: {run.err!r}"


def _hang_cases() -> list[tuple[list[str], str, str]]:
    cases = [(argv, word, " ".join(argv[:3])) for argv, word in HANG_REPRODUCERS]
    for path in sorted(fz.FIXTURES.glob("*-hang-*.toml")):
        kind = path.stem.split("-", 1)[0]
        flag = {"site": ["size", "--site"], "profile": ["size", "--profile"],
                "market": ["hashprice", "--market"]}[kind]
        words = [line.split(":", 1)[1].strip() for line in
                 path.read_text(encoding="utf-8").splitlines() if line.startswith("# expect:")]
        cases.append(([*flag, str(path), "--format", "json"], words[0] if words else "",
                      path.name))
    return cases


def test_hang_reproducers():
    """Inputs that once hung the process (``HANG_REPRODUCERS``, ``tests/data/broken/fuzz/
    *-hang-*.toml``): each in a child process, all at once, cut after HANG_TIMEOUT seconds;
    each must end in one line naming its field."""
    cases = _hang_cases()
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, *argv], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
             for argv, _, _ in cases]
    failures = []
    deadline = time.monotonic() + HANG_TIMEOUT
    for proc, (argv, word, name) in zip(procs, cases):
        try:
            out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            failures.append(f"{name}: did not finish in {HANG_TIMEOUT} s")
            continue
        err, _, tail = err.rpartition("\n@@@")
        code = json.loads(tail) if tail.strip() else f"exit code {proc.returncode}"
        try:
            _check_child(argv, code, out, err, *fz.said(argv))
            assert code == 2 and word in err, f"the line does not name {word}: {err!r}"
        except AssertionError as exc:
            failures.append(f"{name}: {str(exc).splitlines()[0]}")
    assert not failures, "\n".join(failures)


FIXTURE_FILES = sorted(p for p in fz.FIXTURES.glob("*.toml") if "-hang-" not in p.stem)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.stem for p in FIXTURE_FILES])
def test_fixture(path):
    """Every broken file a campaign found, through the commands of its kind.

    ``<kind>-<class>.toml`` must be refused with one line, holding each ``# expect: WORD`` of
    the file; ``<kind>-valid-*`` is well-formed and may also give a finite result;
    ``<kind>-hang-*`` once hung the process: ``test_hang_reproducers`` runs those.
    """
    kind = path.stem.split("-", 1)[0]
    assert kind in FILE_COMMANDS, f"name {path.name} as site-*, profile-* or market-*"
    must_fail = "-valid-" not in path.stem
    expect = [line.split(":", 1)[1].strip() for line in
              path.read_bytes().decode("utf-8", "replace").splitlines()
              if line.startswith("# expect:")]
    context = f"fixture {path.name}"
    runs = run_commands(kind, path, None, must_fail, context=context)
    for run in runs:
        if must_fail and run.code != 2:
            fz._fail(run, "a broken file is accepted", context)
        for word in expect:
            if run.code == 2 and word not in run.err:
                fz._fail(run, f"the error line does not name {word!r}", context)
