"""The exporter's commands, ``chainwatch serve`` and ``chainwatch check``.

Flags follow Prometheus exporters (``--config.file``, ``--web.listen-address``) so an
operator's muscle memory works. Config errors print one line per problem and exit 2;
``check`` exits 1 when an operated node fails, so it can gate a deploy. The command group
itself is :mod:`chainwatch.cli`.
"""

from __future__ import annotations

import sys

import click

from chainwatch.core.config import Config, ConfigError, load


def load_or_exit(path: str, *, need_secrets: bool = True) -> Config:
    """The config, its warnings printed (``warning: chains.x.thresholds....``); exit 2 on errors."""
    try:
        config = load(path, need_secrets=need_secrets)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    for warning in config.warnings():
        click.echo(f"warning: {path}: {warning}", err=True)
    return config


config_option = click.option("--config.file", "config_file", default="chainwatch.yaml", show_default=True, help="chainwatch config file.")

secret_files_option = click.option(
    "--check-secret-files/--no-check-secret-files",
    "check_secret_files",
    default=True,
    show_default=True,
    help="Check that the secret files Alertmanager reads (routing_key_file, api_key_file, api_url_file, url_file) exist and are readable here; "
    "turn off on a machine that is not the Alertmanager host.",
)


def exit_on_secret_files(config: Config) -> None:
    """Exit 2 with one ``error: file:line: field: ...`` line per unreadable secret file (:mod:`chainwatch.core.secretfiles`)."""
    from chainwatch.core.secretfiles import problems

    found = problems(config)
    for problem in found:
        click.echo(f"error: {problem}", err=True)
    if found:
        click.echo("hint: --no-check-secret-files where Alertmanager runs on another host", err=True)
        sys.exit(2)


@click.command()
@config_option
@click.option("--web.listen-address", "listen", default="127.0.0.1:9877", show_default=True, help="host:port to serve /metrics and /probe on.")
@click.option("--log.level", "log_level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True)
@click.option("--log.format", "log_format", type=click.Choice(["logfmt", "json"]), default="logfmt", show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes probing the endpoints behind the one listener (1: all in this process). See chainwatch.exporters.workers.",
)
def serve(config_file: str, listen: str, log_level: str, log_format: str, workers: int) -> None:
    """Run the exporter: /metrics, /probe?target=<endpoint>, /-/healthy, /-/ready, /-/reload."""
    from chainwatch.exporters.logs import setup
    from chainwatch.exporters.server import run

    setup(log_level, log_format)
    config = load_or_exit(config_file)
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{listen!r} is not host:port", param_hint="--web.listen-address")
    run(config, config_file, host.strip("[]"), int(port), workers=workers, log_level=log_level, log_format=log_format)


@click.command()
@config_option
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for every endpoint.")
@secret_files_option
def check(config_file: str, timeout: float, check_secret_files: bool) -> None:
    """Probe every endpoint once and print a table; exit 1 if an operated node fails."""
    import logging

    from chainwatch.exporters.checkcmd import run_check

    logging.basicConfig(level=logging.ERROR)  # the table already says what failed
    config = load_or_exit(config_file)
    if check_secret_files:
        exit_on_secret_files(config)
    sys.exit(run_check(config, timeout))
