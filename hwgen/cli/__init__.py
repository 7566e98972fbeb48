"""The ``hwgen`` command line: a thin layer over the Python API.

Exit codes: 0 done; 1 a FAIL verdict of csim/cosim; 2 bad input (a flag, a path, a project file),
printed as one line on stderr; 130 after SIGINT (Ctrl-C) and 143 after SIGTERM, printed as
``hwgen: interrupted``. Never a traceback. The signal handlers are installed before the command
modules (numpy, rich, ...) are imported, so even an interrupt during start-up is one line.
"""
from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Any

import click

from hwgen.errors import HwgenError

#: Modules whose ``COMMANDS`` make up the group, imported on first use (after the signal handlers exist).
COMMAND_MODULES = ("analyze", "estimate", "quantize", "generate", "rtl", "explore")


class _Commands(click.Group):
    def _load(self) -> None:
        if not self.commands:
            for name in COMMAND_MODULES:
                for command in importlib.import_module(f"hwgen.cli.{name}").COMMANDS:
                    self.add_command(command)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hwgen")
def cli() -> None:
    """hwgen: depthwise-separable CNNs to FPGA accelerators."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; a BaseException so that no ``except Exception`` swallows it on the way up."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: Any) -> None:
    # Further signals are ignored: the clean-up on the way out (temp dirs, a half-made target) must finish.
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


def _fail(message: str, code: int) -> None:
    try:
        click.echo(f"hwgen: {message}", err=True)
    except (OSError, ValueError):  # stderr closed or a broken pipe: the exit code still tells
        pass
    sys.exit(code)


def main(args: list[str] | None = None) -> None:
    """Run the CLI on ``args`` (default: sys.argv[1:]); returns on success, else exits with a code above."""
    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        _main(args)
    finally:  # in-process callers (tests) get their own handlers back
        for s, handler in previous.items():
            signal.signal(s, handler)


def _main(args: list[str] | None) -> None:
    try:
        cli.main(args=args, prog_name="hwgen", standalone_mode=False)
    except Interrupted as e:
        _fail("interrupted", 128 + e.signum)
    except click.exceptions.Abort:  # click turns a KeyboardInterrupt it sees itself into Abort
        _fail("interrupted", 128 + signal.SIGINT)
    except click.exceptions.NoArgsIsHelpError as e:  # plain `hwgen`: the help, as `hwgen --help` prints it
        click.echo(e.ctx.get_help() if e.ctx else e.format_message())
    except click.ClickException as e:  # usage errors (bad flag values, unknown options) and click's file errors
        _fail(" ".join(e.format_message().split()), 2)
    except HwgenError as e:
        _fail(f"error: {' '.join(str(e).split())}", 2)
    except BrokenPipeError:  # `hwgen ... | head`: point stdout at /dev/null so the exit flush stays quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except MemoryError:
        _fail("error: out of memory: lower --resolution, --calib or --batch", 2)
    except OSError as e:  # the machine, not hwgen: a full disk, a vanished file
        where = f"{e.filename}: " if e.filename else ""
        _fail(f"error: {where}{e.strerror or e}", 2)
