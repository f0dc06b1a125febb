"""The CLI shell: help, usage errors and the one-line error contract (exit code 2)."""

from __future__ import annotations

import pytest

from rackplan.cli.app import app
from rackplan.errors import SiteError


def test_help_lists_the_commands(run_cli):
    code, out, _ = run_cli("--help")
    assert code == 0
    assert "Usage: rackplan" in out


def test_unknown_command_is_a_usage_error(run_cli):
    code, _, err = run_cli("no-such-command")
    assert code == 2
    assert "No such command" in err


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
