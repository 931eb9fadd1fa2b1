"""The secret files a config names, checked where Alertmanager will read them.

``routing_key_file`` (PagerDuty), ``api_key_file`` (Opsgenie), ``api_url_file`` (Slack) and
``url_file`` (webhook) are paths Alertmanager opens when it sends a notification; chainwatch
only writes them into ``alertmanager.yml``. Neither ``amtool check-config`` nor Alertmanager's
start reads them, so a missing file is found by the first page, which fails. ``chainwatch
check`` and ``chainwatch generate`` therefore look at each one: it must exist, be a regular
file, be readable by this user and not be empty. Run them with ``--no-check-secret-files`` on
a machine that is not the Alertmanager host (a CI job rendering the files).

The exporter's own secret file of a paid provider, ``pricing.<p>.usage_api.api_key_file`` (the
provider's Admin API key, core/pricing.py), is checked alike: a missing one would be found only
by the log line of the first usage read, with the quota alerts back on chainwatch's own count.

Problems are ``file:line: teams.<team>.<channel>.<field>: <path>: <what>`` lines; the file's
content is never read beyond one byte and never printed.
"""

from __future__ import annotations

from pathlib import Path

from chainwatch.assembly.config import Config
from chainwatch.core.secretfile import unreadable as _unreadable

# channel -> (field holding the path, what Alertmanager reads from it)
SECRET_FIELDS = {
    "pagerduty": ("routing_key_file", "the PagerDuty routing key"),
    "opsgenie": ("api_key_file", "the Opsgenie API key"),
    "slack": ("api_url_file", "the Slack webhook URL"),
    "webhook": ("url_file", "the webhook URL"),
}


def _channels(team) -> list[tuple[tuple, object, str, str]]:
    """(path below the team, settings, field, what) of every secret file of a team, its heartbeat's too."""
    out = [((channel,), getattr(team, channel), field, what) for channel, (field, what) in SECRET_FIELDS.items()]
    if team.heartbeat is not None:
        out += [
            (("heartbeat", channel), getattr(team.heartbeat, channel), field, what)
            for channel, (field, what) in SECRET_FIELDS.items()
            if channel in ("opsgenie", "webhook")
        ]
    return out


def problems(config: Config) -> list[str]:
    """One ``file:line: field: path: reason`` line per secret file Alertmanager could not read."""
    found = []
    for tname, team in sorted(config.teams.items()):
        for below, settings, field, what in _channels(team):
            if settings is None:
                continue
            path = ("teams", tname, *below, field)
            reason = _unreadable(Path(getattr(settings, field)))
            if reason:
                where = ".".join(path)
                found.append(f"{config.path}:{config.line_of(path)}: {where}: {getattr(settings, field)}: {reason} (Alertmanager reads {what} from it)")
    for name, table in sorted(config.pricing.items()):
        if table.usage_api is None:
            continue
        path = ("pricing", name, "usage_api", "api_key_file")
        reason = _unreadable(Path(table.usage_api.api_key_file))
        if reason:
            found.append(
                f"{config.path}:{config.line_of(path)}: {'.'.join(path)}: {table.usage_api.api_key_file}: {reason} "
                f"(the exporter reads the provider's usage API key from it)"
            )
    return found
