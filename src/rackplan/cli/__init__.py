"""Command line: ``rackplan size``, ``compare``, ``hashprice``, ``sweep``, ``montecarlo``,
``profiles``, ``report``. Data goes to stdout, messages to stderr; bad input exits with code 2.

Every way a run can end is one line on stderr at most:

- bad input (a :class:`~rackplan.errors.RackplanError` or a usage error such as an unknown
  option): ``rackplan: error: <where>: <what>``, exit code 2 (``--debug`` re-raises it);
- Ctrl-C: ``rackplan: interrupted``, exit code 130; SIGTERM and SIGHUP end the same way with
  128 + the signal number. One signal is enough, even while numba compiles; the next one
  during the shut-down is ignored (no second traceback), a third ends the process at once;
- a bug: ``rackplan: internal error: ...``, exit code 1 (``--debug`` shows the traceback).

Python warnings raised by libraries during a run (numpy's ``RuntimeWarning`` and the like) are
not printed: results never carry NaN or infinity to the output (:mod:`rackplan.cli.output`),
and rackplan's own findings are printed by :func:`rackplan.cli.output.warn`. ``--debug`` lists
the library warnings after the run.
"""

from __future__ import annotations

import re
import sys

__all__ = ["main"]

#: Characters of a user's value (a quoted value, an option name) echoed in an error line.
MAX_VALUE = 60
#: Characters of an error line at most, not counting a file path it names (paths are kept
#: whole up to :data:`MAX_PATH`: the user needs to see which file).
MAX_LINE = 300
MAX_PATH = 1000

_SIGNAL_NAMES = {1: "SIGHUP", 2: "SIGINT", 15: "SIGTERM"}


class _Signals:
    """How SIGINT, SIGTERM and SIGHUP end a run.

    Until the run has seen the interrupt, each signal raises KeyboardInterrupt (the first
    signal's number is remembered for the exit code). If C code swallows it (numba compiling
    calls Python back through ctypes), it is raised again in the main flow, so one Ctrl-C is
    enough. Once the run is shutting down, the next signal is ignored (a second Ctrl-C prints
    no traceback) and a third ends the process at once, in case the clean-up hangs.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self.shutting_down = False
        self.extra = 0
        self.previous: dict[int, object] = {}
        self.previous_hook = None
        self.debug = False
        self.resent = 0

    def _names(self):
        import signal

        return [getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)]

    def install(self) -> None:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return
        for sig in self._names():
            try:
                self.previous[sig] = signal.signal(sig, self._handle)
            except (OSError, ValueError):  # pragma: no cover - a platform without it
                pass
        self.previous_hook = sys.unraisablehook
        sys.unraisablehook = self._unraisable

    def shut_down(self) -> None:
        """The run is ending: later signals are ignored (the third one exits at once)."""
        self.shutting_down = True

    def restore(self) -> None:
        import signal

        for sig, handler in self.previous.items():
            try:
                signal.signal(sig, handler)
            except (OSError, ValueError, TypeError):  # pragma: no cover
                pass
        self.previous.clear()
        if self.previous_hook is not None:
            sys.unraisablehook = self.previous_hook
            self.previous_hook = None

    def _handle(self, signum, frame) -> None:
        if self.received is None:
            self.received = int(signum)
        if not self.shutting_down:
            raise KeyboardInterrupt(f"signal {int(signum)}")
        self.extra += 1
        if self.extra >= 2:  # the user insists: the clean-up hangs
            import os

            os._exit(128 + self.received)

    def _resend(self, signum: int) -> None:
        """Send ``signum`` again in a moment, from a thread: by then the C callback that
        swallowed the first one has returned, and the main flow raises it."""
        import os
        import threading
        import time

        def later():
            time.sleep(0.01)
            if not self.shutting_down:  # the run may have ended meanwhile
                os.kill(os.getpid(), signum)

        threading.Thread(target=later, daemon=True, name="rackplan-resend-signal").start()

    def _unraisable(self, info) -> None:
        """An exception Python cannot raise (in a C callback, a finalizer): an interrupt is
        raised again in the main flow; anything else is shown with --debug only."""
        if isinstance(info.exc_value, KeyboardInterrupt) and not self.shutting_down:
            self.resent += 1
            if self.resent <= 100:
                self._resend(self.received or 2)
            return
        if self.debug and self.previous_hook is not None:
            self.previous_hook(info)


def _interrupted_line(signum: int) -> str:
    if signum == 2:
        return "rackplan: interrupted"
    return f"rackplan: interrupted by {_SIGNAL_NAMES.get(signum, f'signal {signum}')}"


def _signal_of(exc: BaseException, signals: _Signals) -> int:
    """The signal that raised ``exc``: the one the handler saw, else one named in the message
    (``KeyboardInterrupt("signal 15")`` from a handler of the study writer), else SIGINT."""
    if signals.received is not None:
        return signals.received
    match = re.fullmatch(r"signal (\d+)", str(exc))
    return int(match.group(1)) if match else 2


def _shorten_quoted(text: str) -> str:
    """Each quoted value in ``text`` cut at :data:`MAX_VALUE` characters. A quote opens a
    value only after a non-word character and closes it only before one, and the values are
    taken pairwise from the left: the text between two quoted values (``'abc' is not a
    number (e.g. '1 USD/BTC')``), or an apostrophe (``the OEM's peak``), is not one."""
    def shorten(match: re.Match) -> str:
        quote, inner = match.group(1), match.group(2)
        return quote + _cut(inner, MAX_VALUE) + quote

    return _QUOTED.sub(shorten, text)


_QUOTED = re.compile(r"(?<!\w)(['\"])([^'\"]*?)\1(?!\w)")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_path(text: str) -> bool:
    import os

    return "/" in text or os.sep in text or text.endswith(".toml")


def problem_line(prefix: str, parts, message: str, suffix: str = "") -> str:
    """``prefix`` + ``part: part: message`` + ``suffix`` as one line safe for a terminal:
    control characters escaped, a part that is not a file path cut at :data:`MAX_VALUE`
    characters, long quoted values likewise, the message cut so that the line, its file paths
    not counted, has at most :data:`MAX_LINE` characters."""
    from rackplan.cli.output import plain

    shown: list[str] = []
    path_chars = 0
    for part in parts:
        if part is None or part == "":
            continue
        text = plain(part)
        if _is_path(text):
            text = _cut(text, MAX_PATH)
            path_chars += len(text)
        else:
            text = _cut(text, MAX_VALUE + 6)  # "--set " and the name
        shown.append(text)
    head = prefix + "".join(f"{t}: " for t in shown)
    suffix = plain(suffix)
    budget = MAX_LINE - (len(head) - path_chars) - len(suffix)
    return head + _cut(_shorten_quoted(plain(message)), max(budget, 40)) + suffix


def one_line(text: str) -> str:
    """``text`` as one safe line (see :func:`problem_line`)."""
    return problem_line("", [], text)


def error_line(exc: BaseException) -> str:
    """The one line of a :class:`~rackplan.errors.RackplanError`: ``rackplan: error:
    <source>: <field>: <message>``."""
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        parts = [getattr(exc, "source", None), getattr(exc, "field", None)]
        return problem_line("rackplan: error: ", [str(p) for p in parts if p], message)
    return problem_line("rackplan: error: ", [], str(exc))


def _param_name(param, ctx) -> str:
    """How the user writes ``param``: its longest flag (``--format``) or its metavar."""
    if param is None:
        return ""
    opts = [o for o in (getattr(param, "opts", None) or []) if isinstance(o, str)]
    if getattr(param, "param_type_name", "") == "option" and opts:
        return max(opts, key=len)
    metavar = getattr(param, "metavar", None)
    if isinstance(metavar, str) and metavar:
        return metavar
    name = getattr(param, "name", None)
    return name.upper() if isinstance(name, str) else ""


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _click_exceptions():
    """The module of the click exceptions typer raises: its own copy of click (typer 0.2x
    vendors click as ``typer._click``) or click itself."""
    try:
        from typer._click import exceptions
    except ImportError:  # typer that runs on click
        from click import exceptions
    return exceptions


def usage_line(exc, args: list[str] = ()) -> str:
    """One line for a click usage error, naming the command and the option: ``rackplan: error:
    compare: --format: 'xml' is not one of 'table', 'json', 'csv'``."""
    try:
        where, message = _usage_parts(exc, list(args))
    except Exception:  # pragma: no cover - a click version with other attributes
        where, message = "", " ".join(str(exc.format_message()).split())
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", "") or ""
    command = command.removeprefix("rackplan").strip()  # "compare", "profiles show"
    if command and where == command:
        where = ""
    return problem_line("rackplan: error: ", [command, where], message)


def _swallowed_option(ctx, args: list[str]) -> tuple[str, str] | None:
    """``("--set", "--format")`` when an option that takes a value was given another option of
    the command as its value (``--set --format json``): click reads it as the value and then
    complains about an extra argument, which names neither."""
    command = getattr(ctx, "command", None)
    params = getattr(command, "params", None) or []
    takes_value, names = set(), set()
    for param in params:
        opts = [o for o in (getattr(param, "opts", None) or []) if isinstance(o, str)]
        opts += [o for o in (getattr(param, "secondary_opts", None) or []) if isinstance(o, str)]
        names.update(opts)
        if getattr(param, "param_type_name", "") == "option" and not getattr(
                param, "is_flag", False) and not getattr(param, "count", False):
            takes_value.update(opts)
    for word, following in zip(args, args[1:]):
        if word in takes_value and following.split("=", 1)[0] in names:
            return word, following
    return None


def _usage_parts(exc, args: list[str] = ()) -> tuple[str, str]:
    e = _click_exceptions()
    BadOptionUsage, BadParameter = e.BadOptionUsage, e.BadParameter
    MissingParameter, NoSuchOption = e.MissingParameter, e.NoSuchOption

    where = ""
    if isinstance(exc, MissingParameter):
        name = _param_name(exc.param, exc.ctx) or (exc.param_hint or "")
        kind = exc.param_type or (exc.param.param_type_name if exc.param else "parameter")
        message = f"missing {kind} {name}".strip()
    elif isinstance(exc, BadParameter):
        where = _param_name(exc.param, exc.ctx) or (
            exc.param_hint if isinstance(exc.param_hint, str) else "")
        message = exc.message
    elif isinstance(exc, NoSuchOption):
        where = exc.option_name
        message = "no such option"
        where = _cut(where or "", MAX_VALUE)
        if exc.possibilities:
            message += "; did you mean " + ", ".join(sorted(exc.possibilities)) + "?"
    elif isinstance(exc, BadOptionUsage):
        where = exc.option_name
        message = exc.message
        if "requires an argument" in message:
            message = "needs a value"
    else:
        message = exc.format_message()
        swallowed = _swallowed_option(exc.ctx, args)
        if message.startswith("Got unexpected extra argument") and swallowed:
            where = swallowed[0]
            message = f"needs a value (the next word, '{swallowed[1]}', is an option)"
        elif message.startswith("No such command"):
            message = message.rstrip(".") + _command_hint(exc.ctx)
    message = " ".join(str(message).split("\n")).strip().rstrip(".")
    if message.startswith("Value error, "):  # typer's coercion wraps the type's message
        message = message[len("Value error, "):]
    if where and message.startswith(("Option ", "option ")):
        message = message.split(" ", 2)[-1] if message.count(" ") >= 2 else message
    message = _lower_first(message)
    return (where or "", message)


def _command_hint(ctx) -> str:
    command = getattr(ctx, "command", None)
    names = sorted(getattr(command, "commands", {}) or {})
    names = [n for n in names if not n.startswith("_")]
    return f" (commands: {', '.join(names)})" if names else ""


def main(argv: list[str] | None = None, *, _keep_handlers: bool = False) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    import warnings

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    signals = _Signals()
    signals.debug = debug
    signals.install()
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")  # once per place: a long run keeps few
            return _run(args, debug, signals)
    except KeyboardInterrupt as exc:  # a signal outside the command (while importing)
        signals.shut_down()
        signum = _signal_of(exc, signals)
        print(_interrupted_line(signum), file=sys.stderr)
        return 128 + signum
    finally:
        signals.shut_down()
        if debug:
            for w in caught:
                print(f"rackplan: debug: {w.category.__name__}: {w.message} "
                      f"({w.filename}:{w.lineno})", file=sys.stderr)
        if not _keep_handlers:
            signals.restore()


def _run(args: list[str], debug: bool, signals: _Signals) -> int:
    import typer
    import typer.main

    from rackplan.cli.app import app
    from rackplan.cli import (annual_cmd, catalog_cmd, economics_cmd,  # noqa: F401
                              profiles_cmd, report_cmd, size_cmd, study_cmd)
    from rackplan.errors import RackplanError

    e = _click_exceptions()
    Exit = (typer.Exit, getattr(e, "Exit", typer.Exit))
    Abort = (typer.Abort, getattr(e, "Abort", typer.Abort))
    UsageError, ClickException = e.UsageError, e.ClickException
    # click >= 8.2 signals "no arguments, show the help" with this usage error
    NoArgsIsHelpError = getattr(e, "NoArgsIsHelpError", ())
    command = typer.main.get_command(app)
    try:
        with command.make_context("rackplan", list(args)) as ctx:
            command.invoke(ctx)
        return 0
    except Exit as exc:  # --help, typer.Exit(code=...)
        return exc.exit_code
    except NoArgsIsHelpError as exc:  # `rackplan` alone: the help on stderr, exit code 2
        exc.show()
        return exc.exit_code
    except UsageError as exc:
        if debug:
            raise
        print(usage_line(exc, args), file=sys.stderr)
        return 2
    except ClickException as exc:  # pragma: no cover - a click error that is not usage
        if debug:
            raise
        print(problem_line("rackplan: error: ", [], exc.format_message()), file=sys.stderr)
        return exc.exit_code
    except RackplanError as exc:
        if debug:
            raise
        print(error_line(exc), file=sys.stderr)
        return 2
    except (KeyboardInterrupt, *Abort) as exc:
        signals.shut_down()
        if not isinstance(exc, KeyboardInterrupt) and signals.received is None:
            print("rackplan: aborted", file=sys.stderr)
            return 1
        signum = _signal_of(exc, signals)
        print(_interrupted_line(signum), file=sys.stderr)
        return 128 + signum
    except SystemExit as exc:  # sys.exit() in a command: its code, as click would
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BrokenPipeError:
        # `rackplan compare | head -1`: the reader left; nothing more to say to it.
        _silence_stdout()
        return 1
    except Exception as exc:
        if debug:
            raise
        print(problem_line("rackplan: internal error: ", [type(exc).__name__], str(exc),
                           " (run with --debug for the traceback; please report it)"),
              file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _console_main() -> None:  # pragma: no cover - thin wrapper for the entry point
    import signal

    code = main(_keep_handlers=True)
    # The run is over and has said so: a signal during the interpreter's own clean-up (when
    # Python puts the default handlers back) must neither print nor change the exit code.
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    sys.exit(code)
