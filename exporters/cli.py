"""The ``chainwatch`` command: serve, check, generate (and demo).

Flags follow Prometheus exporters (``--config.file``, ``--web.listen-address``) so an
operator's muscle memory works. Config errors print one line per problem and exit 2;
``check`` exits 1 when an operated node fails, so it can gate a deploy.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from . import __version__
from .config import Config, ConfigError, load

GENERATORS = ("rules", "dashboards", "alertmanager")


def load_or_exit(path: str, *, need_secrets: bool = True) -> Config:
    try:
        return load(path, need_secrets=need_secrets)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(2)


config_option = click.option(
    "--config.file", "config_file", default="chainwatch.yaml", show_default=True, help="chainwatch config file."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chainwatch")
def main() -> None:
    """Observability for blockchain nodes, validators and RPC providers."""


@main.command()
@config_option
@click.option("--web.listen-address", "listen", default="127.0.0.1:9877", show_default=True, help="host:port to serve /metrics and /probe on.")
@click.option("--log.level", "log_level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True)
@click.option("--log.format", "log_format", type=click.Choice(["logfmt", "json"]), default="logfmt", show_default=True)
def serve(config_file: str, listen: str, log_level: str, log_format: str) -> None:
    """Run the exporter: /metrics, /probe?target=<endpoint>, /-/healthy, /-/ready, /-/reload."""
    from .logs import setup
    from .server import run

    setup(log_level, log_format)
    config = load_or_exit(config_file)
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{listen!r} is not host:port", param_hint="--web.listen-address")
    run(config, config_file, host.strip("[]"), int(port))


@main.command()
@config_option
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for every endpoint.")
def check(config_file: str, timeout: float) -> None:
    """Probe every endpoint once and print a table; exit 1 if an operated node fails."""
    import logging

    from .checkcmd import run_check

    logging.basicConfig(level=logging.ERROR)  # the table already says what failed
    config = load_or_exit(config_file)
    sys.exit(run_check(config, timeout))


@main.command()
@config_option
@click.option("--out", "out_dir", default="generated", show_default=True, type=click.Path(file_okay=False), help="Directory to write into.")
@click.option("--format", "fmt", type=click.Choice(["prometheus", "prometheus-operator"]), default="prometheus", show_default=True, help="Rule file flavour.")
@click.option("--preview", is_flag=True, help="Also write a static HTML sketch of each dashboard's layout.")
@click.option("--only", "only", multiple=True, type=click.Choice(GENERATORS), help="Generate only these parts (repeatable).")
def generate(config_file: str, out_dir: str, fmt: str, preview: bool, only: tuple[str, ...]) -> None:
    """Write Prometheus rules, Grafana dashboards and Alertmanager config from the config."""
    config = load_or_exit(config_file, need_secrets=False)
    out = Path(out_dir)
    for part in only or GENERATORS:
        module = importlib.import_module(f"chainwatch.{part}.generate")
        for path in module.write(config, out, fmt=fmt, preview=preview):
            click.echo(str(path))


def _register_optional() -> None:
    """Sub-commands that live in their own package (e.g. ``demo``) register if present."""
    try:
        from .demo.cli import demo
    except ImportError:
        return
    main.add_command(demo)


_register_optional()

if __name__ == "__main__":  # pragma: no cover
    main()
