"""The ``chainwatch`` command group: serve, check, generate, test-page, status, demo.

Each command lives with what it runs — ``serve``/``check`` in the exporter, ``demo`` in
:mod:`chainwatch.devnet` — and this module only puts them under one name.
"""

from __future__ import annotations

from pathlib import Path

import click

from chainwatch.exporters.cli import (
    check,
    config_option,
    exit_on_secret_files,
    exit_on_unsupported,
    load_or_exit,
    secret_files_option,
    serve,
    version_option,
)

GENERATORS = ("rules", "dashboards", "alertmanager")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@version_option
def main() -> None:
    """Observability for blockchain nodes, validators and RPC providers."""


main.add_command(serve)
main.add_command(check)


@main.command()
@config_option
@click.option("--out", "out_dir", default="generated", show_default=True, type=click.Path(file_okay=False), help="Directory to write into.")
@click.option("--format", "fmt", type=click.Choice(["prometheus", "prometheus-operator"]), default="prometheus", show_default=True, help="Rule file flavour.")
@click.option("--preview", is_flag=True, help="Also write a static HTML sketch of each dashboard's layout.")
@click.option("--only", "only", multiple=True, type=click.Choice(GENERATORS), help="Generate only these parts (repeatable).")
@secret_files_option
def generate(config_file: str, out_dir: str, fmt: str, preview: bool, only: tuple[str, ...], check_secret_files: bool) -> None:
    """Write Prometheus rules, Grafana dashboards and Alertmanager config from the config."""
    from chainwatch.alertmanager import generate as alertmanager
    from chainwatch.core import manifest
    from chainwatch.dashboards import generate as dashboards
    from chainwatch.rules import generate as rules

    modules = {"rules": rules, "dashboards": dashboards, "alertmanager": alertmanager}
    config = load_or_exit(config_file, need_secrets=False)
    if "alertmanager" in (only or GENERATORS):
        exit_on_unsupported(config)  # before any part is written: no half-generated output
    if check_secret_files and "alertmanager" in (only or GENERATORS):
        exit_on_secret_files(config)  # alertmanager.yml would name a file the first page cannot read
    out = Path(out_dir)
    if config.generate.runbook_base_url is None and "rules" in (only or GENERATORS):
        click.echo(
            f"warning: {config_file}: generate.runbook_base_url is not set: every alert's runbook_url is runbooks/<Alert>.md, "
            f"the runbook's path under {out}; publish {out / 'runbooks'} (a wiki, a Git host, a web server) and set it to that address",
            err=True,
        )
    for part in only or GENERATORS:
        written = modules[part].write(config, out, fmt=fmt, preview=preview)
        for path in written:
            click.echo(str(path))
        pruned = manifest.record(out, part, written)  # what the config no longer produces goes
        for path in pruned.removed:
            click.echo(f"removed {path}")
        for path in pruned.kept:
            click.echo(f"warning: kept {path}: no longer generated, but changed since chainwatch wrote it; remove it if it is not yours", err=True)


@main.command("test-page")
@config_option
@click.option("--alertmanager.url", "am_url", default="http://127.0.0.1:9093", show_default=True, help="The running Alertmanager (its v2 API).")
@click.option("--team", required=True, help="The team whose receivers are tested (a key of `teams` in chainwatch.yaml).")
@click.option("--severity", type=click.Choice(["critical", "warning", "info"]), default="critical", show_default=True)
@click.option(
    "--timeout", type=click.FloatRange(1, 3600), default=120, show_default=True, help="Seconds to wait for the send (at least the route's group_wait)."
)
def test_page(config_file: str, am_url: str, team: str, severity: str, timeout: float) -> None:
    """Send one labelled TEST PAGE through Alertmanager, wait until its receivers got it, resolve it.

    Exit 0 when every integration of the receivers it routed to counted a send, 1 otherwise; 2
    for a team the config does not have (nothing sent: Alertmanager would route an unknown team
    to every team's receivers, a real page for everyone).
    """
    from chainwatch.alertmanager import testpage

    config = load_or_exit(config_file, need_secrets=False)
    if team not in config.teams:
        click.echo(f"error: {config_file}: no team {team!r} in teams (teams: {', '.join(sorted(config.teams)) or 'none'}); nothing sent", err=True)
        raise SystemExit(2)

    try:
        testpage.send(testpage.Client(am_url), team, severity, timeout=timeout, log=click.echo)
    except testpage.TestPageError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("status")
@config_option
@click.option("--prometheus.url", "prom_url", default="http://127.0.0.1:9090", show_default=True, help="The Prometheus that evaluates chainwatch's rules.")
@click.option("--web.listen-address", "listen", default="127.0.0.1:9879", show_default=True, help="host:port of the status page.")
@click.option("--cache", type=click.FloatRange(0, 300), default=5, show_default=True, help="Seconds an answer of Prometheus is reused.")
@click.option("--history", default="7d", show_default=True, help="How far back past incidents are listed (a Prometheus duration; 0s: none).")
def status_page(config_file: str, prom_url: str, listen: str, cache: float, history: str) -> None:
    """Serve the public status page per chain and SLO (HTML and Statuspage-compatible /api/v2/summary.json)."""
    from chainwatch.status import server

    from chainwatch.core import durations

    if not durations.valid(history):
        raise click.BadParameter(f"{history!r}: expected a Prometheus duration (7d, 12h)", param_hint="--history")
    config = load_or_exit(config_file, need_secrets=False)
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise click.BadParameter(f"{listen!r}: expected host:port", param_hint="--web.listen-address")
    click.echo(f"status page on http://{listen}/ (from {config_file})", err=True)
    server.run(config, prom_url, host.strip("[]") or "0.0.0.0", int(port), cache, history)


def _register_demo() -> None:
    """``demo`` registers when its package is installed (it is, in the wheel)."""
    try:
        from chainwatch.devnet.cli import demo
    except ImportError:
        return
    main.add_command(demo)


_register_demo()

if __name__ == "__main__":  # pragma: no cover
    main()
