"""Alertmanager config generator: routes chainwatch alerts by team and severity to PagerDuty,
Opsgenie, Slack or nowhere, with inhibitions against alert storms (see docs/alertmanager.md)."""
