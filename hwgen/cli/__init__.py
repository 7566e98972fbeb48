"""The ``hwgen`` command line: a thin layer over the Python API.

User errors (:class:`hwgen.errors.HwgenError`) print one line on stderr and exit 2.
"""
from __future__ import annotations

import sys

import click

from hwgen.cli import analyze, estimate, explore, quantize, rtl
from hwgen.cli import generate as hls
from hwgen.errors import HwgenError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hwgen")
def cli() -> None:
    """hwgen: depthwise-separable CNNs to FPGA accelerators."""


for module in (analyze, estimate, quantize, hls, rtl, explore):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("hwgen: aborted", err=True)
        sys.exit(1)
    except click.ClickException as e:  # usage errors: bad flag values, unknown options
        click.echo(f"hwgen: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except HwgenError as e:
        click.echo(f"hwgen: error: {e}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(0)
