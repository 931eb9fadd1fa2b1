"""Prometheus Operator resources from the config: the rules' ``PrometheusRule`` objects and the
``Probe`` and ``ServiceMonitor`` that scrape the exporter.

``chainwatch generate --format prometheus-operator`` writes them (``rules/*.prometheusrule.yaml``,
``operator/probe.yaml``, ``operator/servicemonitor.yaml``), so the scrape targets follow the
config instead of a hand-kept list: the ``Probe`` asks ``/probe?target=<name>`` for every
endpoint, the ``ServiceMonitor`` scrapes ``/-/metrics`` (the exporter's own health) and
``/probe?chain=<chain>`` for every chain, on every pod of the Service named
``generate.exporter_job`` (the job ``ChainwatchExporterAbsent`` watches).

``generate.prometheus_operator.labels`` are added to every resource: a kube-prometheus-stack
Prometheus selects PrometheusRules, Probes and ServiceMonitors by its release label
(``release: <helm release name>``) and ignores objects without it.
Source: Prometheus Operator API reference, monitoring.coreos.com/v1 (PrometheusRule, Probe,
ServiceMonitor).
"""

from __future__ import annotations

from chainwatch.assembly.config import Config

API = "monitoring.coreos.com/v1"
PROBE_JOB = "chainwatch-probe"


def _metadata(config: Config, name: str, **extra: str) -> dict:
    labels = {"app.kubernetes.io/name": "chainwatch", "app.kubernetes.io/part-of": "chainwatch", **extra}
    labels.update(config.generate.prometheus_operator.labels)
    return {"name": name, "labels": labels}


def prometheus_rule(config: Config, name: str, groups: list[dict]) -> dict:
    return {"apiVersion": API, "kind": "PrometheusRule", "metadata": _metadata(config, name, role="alert-rules"), "spec": {"groups": groups}}


def probe(config: Config) -> dict:
    """One probe target per endpoint name (never a URL: /probe accepts configured names only)."""
    op = config.generate.prometheus_operator
    return {
        "apiVersion": API,
        "kind": "Probe",
        "metadata": _metadata(config, "chainwatch-endpoints"),
        "spec": {
            "jobName": PROBE_JOB,
            "interval": op.probe_interval,
            "scrapeTimeout": op.probe_timeout,
            "prober": {"url": f"{config.generate.exporter_job}.{op.namespace}.svc:{op.port}", "path": "/probe"},
            "targets": {"staticConfig": {"static": [e.name for _, _, e in config.endpoints()]}},
        },
    }


def service_monitor(config: Config) -> dict:
    """``/-/metrics`` once per pod, and ``/probe?chain=`` for every chain's chain-wide series."""
    op = config.generate.prometheus_operator
    endpoints = [{"port": "http", "path": "/-/metrics", "interval": "30s"}]
    endpoints += [
        {"port": "http", "path": "/probe", "params": {"chain": [name]}, "interval": op.probe_interval, "scrapeTimeout": op.probe_timeout}
        for name in sorted(config.chains)
    ]
    return {
        "apiVersion": API,
        "kind": "ServiceMonitor",
        "metadata": _metadata(config, config.generate.exporter_job),
        "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "chainwatch", "app.kubernetes.io/component": "probe"}}, "endpoints": endpoints},
    }
