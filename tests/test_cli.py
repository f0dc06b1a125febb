"""The CLI shell: help, usage errors and the one-line error contract (exit code 2)."""

from __future__ import annotations

import pytest

from rackplan.cli.app import app
from rackplan.errors import SiteError


def test_help_lists_the_commands(run_cli):
    code, out, _ = run_cli("--help")
    assert code == 0
    assert "Usage: rackplan" in out


def test_version_prints_the_installed_version(run_cli):
    from importlib.metadata import version

    code, out, _ = run_cli("--version")
    assert code == 0
    assert out.strip() == f"rackplan {version('rackplan')}"


def test_unknown_command_is_a_usage_error(run_cli):
    code, _, err = run_cli("no-such-command")
    assert code == 2
    assert err == ("rackplan: error: no such command 'no-such-command' (commands: annual, "
                   "breakeven, compare, hashprice, markets, montecarlo, profiles, report, sites, "
                   "size, sweep)\n")


@pytest.fixture
def failing_command():
    @app.command("_fail", hidden=True)
    def _fail() -> None:
        raise SiteError("'18 kg' is not a power", source="site.toml", field="utility_power")

    yield
    app.registered_commands[:] = [c for c in app.registered_commands if c.name != "_fail"]


def test_rackplan_errors_become_one_line_and_exit_code_2(run_cli, failing_command):
    code, out, err = run_cli("_fail")
    assert code == 2
    assert out == ""
    assert err == "rackplan: error: site.toml: utility_power: '18 kg' is not a power\n"


def test_debug_shows_the_traceback(run_cli, failing_command):
    with pytest.raises(SiteError):
        run_cli("--debug", "_fail")


# --- usage errors: one line, exit code 2 ------------------------------------------------------


@pytest.mark.parametrize("args, line", [
    (["compare", "--format", "xml"],
     "rackplan: error: compare: --format: 'xml' is not one of 'table', 'json', 'csv'\n"),
    (["size", "--basis", "nominal"],
     "rackplan: error: size: --basis: 'nominal' is not one of 'max', 'typical', 'peak'\n"),
    (["profiles", "list", "--kind", "fpga"],
     "rackplan: error: profiles list: --kind: 'fpga' is not one of 'gpu', 'asic'\n"),
    (["compare", "--frmat", "json"], "rackplan: error: compare: --frmat: no such option; "
                                     "did you mean --format, --market?\n"),
    (["compare", "--years"], "rackplan: error: --years: needs a value\n"),
    (["size", "--set"], "rackplan: error: --set: needs a value\n"),
    (["size", "extra"], "rackplan: error: size: got unexpected extra argument(s) (extra)\n"),
    (["--bogus"], "rackplan: error: --bogus: no such option\n"),
    (["profiles", "show"], "rackplan: error: profiles show: missing argument ID|FILE\n"),
    (["profiles", "nope"], "rackplan: error: profiles: no such command 'nope' (commands: "
                           "list, show, validate)\n"),
    (["sweep", "--paths", "abc"], "rackplan: error: sweep: --paths: no such option\n"),
    (["montecarlo", "--paths", "abc"], "rackplan: error: "),  # the study helper's own check
    (["compare", "--years", "abc"],
     "rackplan: error: --years: 'abc' is not a whole number from 1 to 50\n"),
    (["compare", "--years", "2.5"], "rackplan: error: --years: must be a whole number"),
    (["compare", "--years", "99"],
     "rackplan: error: --years: must be a whole number from 1 to 50, got '99'\n"),
    (["compare", "--" + "x" * 300], "rackplan: error: compare: --xxxxxxxx"),
    (["size", "--set", "--set", "pue=1.2"],
     "rackplan: error: size: --set: needs a value (the next word, '--set', is an option)\n"),
    (["compare", "--\x1b[31m"], "rackplan: error: compare: --\\x1b[31m: no such option\n"),
])
def test_usage_errors_are_one_line(run_cli, args, line):
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(line), err
    assert "Usage:" not in err and "Traceback" not in err and len(err) < 300


def test_help_still_works(run_cli):
    code, out, err = run_cli("compare", "--help")
    assert code == 0 and "--years" in out and err == ""
    code, out, err = run_cli("profiles", "-h")
    assert code == 0 and "validate" in out


def test_no_arguments_shows_the_help_on_stderr_with_code_2(run_cli):
    code, out, err = run_cli()
    assert code == 2 and out == "" and "Usage: rackplan" in err


def test_id_or_file_options_state_the_rule(run_cli):
    from rackplan._io import REFERENCE_RULE
    from rackplan.cli.app import REF_RULE

    assert REF_RULE == REFERENCE_RULE  # the help states the rule the resolver follows
    every = ("--site", "--mining-profile", "--gpu-profile", "--market")
    for command, flags in (("size", ("--site", "--profile")), ("compare", every),
                           ("hashprice", ("--profile", "--market")), ("sweep", every),
                           ("montecarlo", every), ("breakeven", every)):
        code, out, _ = run_cli(command, "--help")
        assert code == 0
        assert " ".join(out.split()).count(REF_RULE) == len(flags), command


# --- error lines: safe for a terminal, short ----------------------------------------------------


@pytest.fixture
def command(request):
    """Register a hidden command ``_t`` running the test's function; removed afterwards."""
    registered = []

    def register(fn):
        app.command("_t", hidden=True)(fn)
        registered.append(fn)
        return fn

    yield register
    app.registered_commands[:] = [c for c in app.registered_commands if c.name != "_t"]


def test_error_lines_escape_control_characters_and_cut_long_values(run_cli, command):
    @command
    def _t() -> None:
        raise SiteError(f"'{'x' * 500}' is not a power", source="a\x1b[31mb\nc.toml",
                        field="name\x07")

    code, out, err = run_cli("_t")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "\x1b" not in err and "\x07" not in err
    assert err.startswith("rackplan: error: a\\x1b[31mb\\nc.toml: name\\x07: 'xxx")
    assert "…' is not a power" in err and len(err) < 200


def test_unknown_site_with_escape_bytes(run_cli):
    code, _, err = run_cli("size", "--site", "a\x1b]0;pwned\x07b")
    assert code == 2 and err.count("\n") == 1
    assert "\x1b" not in err and "\x07" not in err and "a\\x1b]0;pwned\\x07b" in err


def test_a_bug_is_one_line_and_code_1(run_cli, command):
    @command
    def _t() -> None:
        raise ZeroDivisionError("boom")

    code, _, err = run_cli("_t")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("rackplan: internal error: ZeroDivisionError: boom")
    with pytest.raises(ZeroDivisionError):
        run_cli("--debug", "_t")


# --- library warnings are not printed -----------------------------------------------------------


def test_library_warnings_are_not_printed(run_cli, command):
    @command
    def _t() -> None:
        import warnings

        import numpy as np

        np.array([1.0]) / np.array([0.0])
        warnings.warn("a library talks", RuntimeWarning)
        raise SiteError("bad", source="s.toml", field="pue")

    code, _, err = run_cli("_t")
    assert code == 2
    assert err == "rackplan: error: s.toml: pue: bad\n"


# --- signals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, code, line", [
    ("SIGINT", 130, "rackplan: interrupted\n"),
    ("SIGTERM", 143, "rackplan: interrupted by SIGTERM\n"),
    ("SIGHUP", 129, "rackplan: interrupted by SIGHUP\n"),
])
def test_signals_end_the_run_with_one_line(run_cli, command, name, code, line):
    import os
    import signal

    sig = getattr(signal, name)
    before = signal.getsignal(sig)

    @command
    def _t() -> None:
        try:
            os.kill(os.getpid(), sig)
            signal.pause() if hasattr(signal, "pause") else None  # pragma: no cover
        finally:
            # a second signal while the first unwinds: still one line, the first's code
            os.kill(os.getpid(), signal.SIGINT)

    got, out, err = run_cli("_t")
    assert (got, out, err) == (code, "", line)
    assert signal.getsignal(sig) == before  # in-process runs leave the handlers as they were


def test_keyboard_interrupt_is_one_line(run_cli, command):
    @command
    def _t() -> None:
        raise KeyboardInterrupt

    assert run_cli("_t") == (130, "", "rackplan: interrupted\n")


def test_after_the_run_a_second_signal_is_ignored():
    import os
    import signal

    from rackplan.cli import _Signals

    before = signal.getsignal(signal.SIGINT)
    signals = _Signals()
    signals.install()
    try:
        signals.shut_down()
        os.kill(os.getpid(), signal.SIGINT)  # ignored: no KeyboardInterrupt
        assert signals.received == signal.SIGINT and signals.extra == 1
    finally:
        signals.restore()
    assert signal.getsignal(signal.SIGINT) == before


def test_an_interrupt_swallowed_by_a_c_callback_still_ends_the_run(run_cli, command):
    import ctypes
    import os
    import signal
    import time

    @command
    def _t() -> None:
        # as numba's compiler calls Python back through ctypes: the KeyboardInterrupt raised
        # inside the callback cannot propagate through C
        callback = ctypes.CFUNCTYPE(None)(lambda: os.kill(os.getpid(), signal.SIGINT))
        callback()
        time.sleep(10)
        raise AssertionError("the interrupt was lost")

    started = time.monotonic()
    assert run_cli("_t") == (130, "", "rackplan: interrupted\n")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("command", ["size", "compare", "sweep", "montecarlo"])
@pytest.mark.parametrize("value", ["[1, 2]", "{a = 1}", "[]"])
def test_set_with_several_values_names_the_flag(run_cli, command, value):
    extra = {"sweep": ["--vary", "btc_price=1e5,2e5"], "montecarlo": ["--paths", "64"]}
    code, out, err = run_cli(command, *extra.get(command, []), "--set",
                             f"utility_power={value}")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("rackplan: error: --set utility_power: one value is expected")
    assert "--vary" in err and "overrides" not in err


_COMMANDS = ["size", "annual", "compare", "hashprice", "sweep", "montecarlo", "breakeven",
             "profiles list", "profiles show", "profiles validate", "sites list",
             "sites show", "markets list", "markets show"]


@pytest.mark.parametrize("command", _COMMANDS)
def test_every_help_has_an_example_that_runs(run_cli, command, tmp_path, monkeypatch):
    """Each command's --help gives an example; the example runs (exit 0, its result on stdout
    or in the file it names), from a scratch folder so that its files land there."""
    import re
    import shlex
    from pathlib import Path

    code, out, _ = run_cli(*command.split(), "--help")
    assert code == 0
    text = " ".join(out.replace("│", " ").split())
    found = re.search(r"[Ee]xample: (rackplan [^)]*?)(?:\)| Options:| Arguments:|$)", text)
    assert found, f"no example in 'rackplan {command} --help'"
    example = found.group(1).rstrip(". ")
    assert f"{example} ".startswith(f"rackplan {command} ")
    args = shlex.split(example.split(" > ")[0])[1:]
    examples = Path(__file__).resolve().parents[1] / "examples"
    args = [a.replace("examples/", f"{examples}/") for a in args]
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(*args)
    assert code == 0, (example, err)
    assert out.strip() or "rackplan: wrote" in err


def test_a_market_file_with_two_bad_values_names_both_whole(run_cli, tmp_path):
    """Both problems on the one line, each quoted value whole: the text between two quoted
    values is not itself a value to cut ("(a share…'5 %'" was)."""
    path = tmp_path / "m.toml"
    path.write_text('base = "2025-11-13"\nbtc_price = "abc"\npool_fee = 5\n')
    code, out, err = run_cli("compare", "--market", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "…" not in err and "more problem" not in err
    assert "btc_price: 'abc' is not a number" in err and "pool_fee: 5 is out of range" in err
    assert "(e.g. '1 USD/BTC')" in err and "'5 %' or 0.05" in err
