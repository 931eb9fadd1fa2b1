"""The exporter's commands, ``chainwatch serve`` and ``chainwatch check``.

Flags follow Prometheus exporters (``--config.file``, ``--web.listen-address``) so an
operator's muscle memory works. Config errors print one line per problem and exit 2;
``check`` exits 1 when an operated node fails, so it can gate a deploy. The command group
itself is :mod:`chainwatch.cli`.
"""

from __future__ import annotations

import platform
import sys

import click

from chainwatch.assembly.config import Config, ConfigError, load
from chainwatch.core import durations


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


def version_text() -> str:
    """What ``--version`` prints, after ``node_exporter --version``::

    chainwatch, version 0.1.0
      python:   3.11.2 (CPython)
      platform: linux/x86_64
    """
    from chainwatch.exporters import __version__

    return (
        f"chainwatch, version {__version__}\n"
        f"  python:   {platform.python_version()} ({platform.python_implementation()})\n"
        f"  platform: {sys.platform}/{platform.machine()}"
    )


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(version_text())
        ctx.exit()


version_option = click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version, help="Print version, Python and platform, then exit."
)

config_option = click.option("--config.file", "config_file", default="chainwatch.yaml", show_default=True, help="chainwatch config file.")

secret_files_option = click.option(
    "--check-secret-files/--no-check-secret-files",
    "check_secret_files",
    default=True,
    show_default=True,
    help="Check that the secret files Alertmanager reads (routing_key_file, api_key_file, api_url_file, url_file) and the exporter's provider "
    "usage API key (pricing usage_api api_key_file) exist and are readable here; turn off on a machine that is not the Alertmanager or exporter host.",
)


def exit_on_secret_files(config: Config) -> None:
    """Exit 2 with one ``error: file:line: field: ...`` line per unreadable secret file (:mod:`chainwatch.assembly.secretfiles`)."""
    from chainwatch.assembly.secretfiles import problems

    found = problems(config)
    for problem in found:
        click.echo(f"error: {problem}", err=True)
    if found:
        click.echo("hint: --no-check-secret-files where Alertmanager (or the exporter) runs on another host", err=True)
        sys.exit(2)


def exit_on_unsupported(config: Config) -> None:
    """Exit 2 with one ``error: file:line: field: ...`` line per setting the generated
    Alertmanager config cannot carry (:func:`chainwatch.alertmanager.heartbeat.unsupported`):
    ``generate`` and ``check`` refuse such a config alike."""
    from chainwatch.alertmanager.heartbeat import unsupported

    found = unsupported(config)
    for problem in found:
        click.echo(f"error: {problem}", err=True)
    if found:
        sys.exit(2)


@click.command()
@version_option
@config_option
@click.option(
    "--web.listen-address",
    "listen",
    multiple=True,
    default=["127.0.0.1:9877"],
    show_default=True,
    help="Address to serve /metrics and /probe on: host:port, :port (every interface) or [ipv6]:port. Repeatable.",
)
@click.option(
    "--web.config.file",
    "web_config_file",
    default=None,
    help="exporter-toolkit web config: TLS and basic auth on the listener (docs/listener.md). Re-read on SIGHUP.",
)
@click.option("--log.level", "log_level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True)
@click.option("--log.format", "log_format", type=click.Choice(["logfmt", "json"]), default="logfmt", show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes probing the endpoints behind the one listener (1: all in this process). See chainwatch.exporters.workers.",
)
@click.option("--web.enable-lifecycle", "enable_lifecycle", is_flag=True, help="Enable POST /-/reload (SIGHUP always reloads).")
@click.option(
    "--web.shutdown-timeout",
    "shutdown_timeout",
    type=click.FloatRange(0.5, 300),
    default=10.0,
    show_default=True,
    help="Seconds after SIGTERM within which scrapes in flight are answered (probes still running: timeout), then exit.",
)
def serve(
    config_file: str,
    listen: tuple[str, ...],
    web_config_file: str | None,
    log_level: str,
    log_format: str,
    workers: int,
    enable_lifecycle: bool,
    shutdown_timeout: float,
) -> None:
    """Run the exporter: /metrics, /probe?target=<endpoint>, /-/healthy, /-/ready, /-/reload (with --web.enable-lifecycle).

    The config and web config are checked and the port bound before anything starts: a port
    in use is one error line and exit status 1.
    """
    from chainwatch.exporters import listen as listening
    from chainwatch.exporters import webconfig
    from chainwatch.exporters.logs import setup
    from chainwatch.exporters.server import run

    addresses = []
    for text in listen:
        try:
            addresses.append(listening.parse_address(text))
        except listening.ListenError as exc:
            raise click.BadParameter(str(exc).removeprefix("--web.listen-address "), param_hint="--web.listen-address") from None
    setup(log_level, log_format)
    config = load_or_exit(config_file)
    web = None
    if web_config_file is not None:
        try:
            web = webconfig.WebListener(webconfig.load(web_config_file))
        except webconfig.WebConfigError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            sys.exit(2)
    try:
        sockets = listening.bind_all(addresses)
    except listening.ListenError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    run(
        config,
        config_file,
        addresses,
        sockets,
        workers=workers,
        log_level=log_level,
        log_format=log_format,
        web_listener=web,
        enable_lifecycle=enable_lifecycle,
        shutdown_timeout=shutdown_timeout,
    )


class _Interval(click.ParamType):
    """Seconds (``30``, ``2.5``) or a Prometheus duration (``30s``, ``1m``), as the config writes
    intervals; at least 1 s."""

    name = "seconds|duration"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            secs = float(value)
        else:
            try:
                secs = float(value)
            except ValueError:
                if not durations.valid(value):
                    self.fail(f"{value!r} is neither seconds (30) nor a Prometheus duration (30s, 1m)", param, ctx)
                secs = durations.seconds(value)
        if secs < 1:
            self.fail(f"{value!r} is under 1 s", param, ctx)
        return secs


@click.command()
@config_option
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for every endpoint.")
@click.option(
    "--interval",
    type=_Interval(),
    default=None,
    help="Time between probe rounds (your scrape interval: 30 or 30s), for the credits per day of paid providers. [default: generate.prometheus_operator.probe_interval]",
)
@secret_files_option
def check(config_file: str, timeout: float, interval: float | None, check_secret_files: bool) -> None:
    """Probe every endpoint once and print a table; exit 1 if an operated node fails."""
    import logging

    from chainwatch.exporters.checkcmd import run_check

    logging.basicConfig(level=logging.ERROR)  # the table already says what failed
    config = load_or_exit(config_file)
    exit_on_unsupported(config)
    if check_secret_files:
        exit_on_secret_files(config)
    sys.exit(run_check(config, timeout, interval))
