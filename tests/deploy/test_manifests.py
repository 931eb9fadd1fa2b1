"""deploy/: the Kubernetes example is consistent with itself and with chainwatch.

``kubectl apply --dry-run=client`` cannot run here: even in client mode kubectl asks an API
server for its schema and resource mappings, and no cluster runs in this sandbox. So these
tests check what that validation would, field by field (apiVersion/kind known, metadata.name,
selectors matching template labels, ports that exist, probes on real routes), plus what it
would not: the config in the ConfigMap passes chainwatch's own validation, and the Probe
targets / ServiceMonitor chains are exactly that config's endpoint and chain names. When
``kubectl`` is on PATH, ``kubectl kustomize deploy`` (offline) must also build the set.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from chainwatch.assembly.config import parse

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"

# apiVersion/kind pairs a cluster with the Prometheus Operator serves.
KNOWN = {
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "Probe"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}


def exporter_routes(config) -> set[str]:
    """The paths `chainwatch serve` really answers (from its aiohttp router)."""
    from chainwatch.exporters.server import Exporter, build_app

    app = build_app(Exporter(config))
    return {r.resource.canonical for r in app.router.routes()}


def load(name: str) -> dict:
    docs = [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]
    assert len(docs) == 1, name
    return docs[0]


@pytest.fixture(scope="module")
def kustomization():
    return yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())


@pytest.fixture(scope="module")
def resources(kustomization):
    return {name: load(name) for name in kustomization["resources"]}


@pytest.fixture(scope="module")
def config():
    text = (DEPLOY / "chainwatch.yaml").read_text()
    return parse(text, "deploy/chainwatch.yaml", env={"INFURA_KEY": "k" * 32, "ALCHEMY_KEY": "a" * 32})


def by_kind(resources: dict, kind: str) -> list[dict]:
    return [r for r in resources.values() if r["kind"] == kind]


def test_every_resource_is_a_known_kind_with_a_name(resources, kustomization):
    assert set(kustomization["resources"]) == {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml", "chainwatch.yaml"}
    for name, r in resources.items():
        assert (r.get("apiVersion"), r.get("kind")) in KNOWN, name
        assert r["metadata"]["name"], name
        assert "namespace" not in r["metadata"], f"{name}: the namespace comes from kustomization.yaml"


def test_config_map_holds_a_valid_chainwatch_config(kustomization, config):
    [gen] = kustomization["configMapGenerator"]
    assert gen["name"] == "chainwatch-config" and gen["files"] == ["chainwatch.yaml"]
    assert config.generate.exporter_job == "chainwatch"
    assert config.exporter.state_dir == "/var/lib/chainwatch"


def test_deployment_selects_its_pods_and_runs_the_config(resources, kustomization, config):
    [dep] = by_kind(resources, "Deployment")
    spec = dep["spec"]
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    [container] = spec["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 9877}
    args = container["args"]
    assert args[0] == "serve" and "--web.listen-address=0.0.0.0:9877" in args
    config_file = next(a.split("=", 1)[1] for a in args if a.startswith("--config.file="))
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["template"]["spec"]["volumes"]}
    assert Path(config_file).parent == Path(mounts["config"])
    assert Path(config_file).name == kustomization["configMapGenerator"][0]["files"][0]
    assert volumes["config"]["configMap"]["name"] == "chainwatch-config"
    assert mounts["state"] == config.exporter.state_dir and "emptyDir" in volumes["state"]
    routes = exporter_routes(config)
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] in routes and get["port"] in ports
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_service_reaches_the_pods(resources):
    [svc] = by_kind(resources, "Service")
    [dep] = by_kind(resources, "Deployment")
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    container_ports = {p["name"] for p in dep["spec"]["template"]["spec"]["containers"][0]["ports"]}
    [port] = svc["spec"]["ports"]
    assert port["targetPort"] in container_ports and port["port"] == 9877


def test_probe_targets_are_exactly_the_configured_endpoints(resources, config):
    [probe] = by_kind(resources, "Probe")
    [svc] = by_kind(resources, "Service")
    spec = probe["spec"]
    assert spec["jobName"] == "chainwatch-probe"  # as in the README's multi-target pattern
    host, port = spec["prober"]["url"].rsplit(":", 1)
    assert host.split(".")[0] == svc["metadata"]["name"] and int(port) == svc["spec"]["ports"][0]["port"]
    assert spec["prober"]["path"] == "/probe" and "/probe" in exporter_routes(config)
    assert sorted(spec["targets"]["staticConfig"]["static"]) == sorted(e.name for _, _, e in config.endpoints())


def test_service_monitor_scrapes_exporter_health_and_every_chain_on_every_pod(resources, config):
    [sm] = by_kind(resources, "ServiceMonitor")
    [svc] = by_kind(resources, "Service")
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    # No jobLabel: the job is the Service name, which ChainwatchExporterAbsent watches.
    assert "jobLabel" not in sm["spec"] and svc["metadata"]["name"] == config.generate.exporter_job
    port_names = {p["name"] for p in svc["spec"]["ports"]}
    endpoints = sm["spec"]["endpoints"]
    assert all(ep["port"] in port_names and ep["path"] in exporter_routes(config) for ep in endpoints)
    health = [ep for ep in endpoints if ep["path"] == "/-/metrics"]
    assert len(health) == 1 and "params" not in health[0]  # never /metrics: it would probe every endpoint per pod
    chains = []
    for ep in endpoints:
        if ep["path"] == "/-/metrics":
            continue
        assert ep["path"] == "/probe" and list(ep["params"]) == ["chain"]
        chains += ep["params"]["chain"]
    assert sorted(chains) == sorted(config.chains)


def test_generated_prometheus_rules_are_operator_resources(tmp_path, config):
    from chainwatch.rules import generate

    written = generate.write(config, tmp_path, fmt="prometheus-operator")
    rules = [p for p in written if p.name.endswith(".prometheusrule.yaml")]
    assert rules
    for path in rules:
        doc = yaml.safe_load(path.read_text())
        assert (doc["apiVersion"], doc["kind"]) in KNOWN
        assert doc["metadata"]["name"] and doc["spec"]["groups"]
        for group in doc["spec"]["groups"]:
            assert group["rules"], path.name


def test_probe_and_service_monitor_are_generated_from_the_config(tmp_path, config):
    # deploy/probe.yaml and servicemonitor.yaml are generate's output for deploy/chainwatch.yaml,
    # copied (deploy/chainwatch.yaml says how): an endpoint added to the config must reach them.
    from chainwatch.rules import generate

    generate.write(config, tmp_path, fmt="prometheus-operator")
    for name in ("probe.yaml", "servicemonitor.yaml"):
        assert (DEPLOY / name).read_text() == (tmp_path / "operator" / name).read_text(), f"deploy/{name} is stale: regenerate it (deploy/chainwatch.yaml)"


def test_operator_labels_from_the_config_reach_every_resource(tmp_path):
    # kube-prometheus-stack's Prometheus selects rules, probes and service monitors by release label.
    from chainwatch.assembly.config import load as load_config
    from chainwatch.rules import generate

    text = (DEPLOY / "chainwatch.yaml").read_text().replace("labels: {release: kube-prometheus-stack}", "labels: {release: prom-prod, team: sre}")
    (tmp_path / "chainwatch.yaml").write_text(text)
    config = load_config(tmp_path / "chainwatch.yaml", need_secrets=False)
    written = generate.write(config, tmp_path / "out", fmt="prometheus-operator")
    docs = [yaml.safe_load(p.read_text()) for p in written if p.suffix == ".yaml"]
    assert {d["kind"] for d in docs} == {"PrometheusRule", "Probe", "ServiceMonitor"}
    for doc in docs:
        assert doc["metadata"]["labels"]["release"] == "prom-prod" and doc["metadata"]["labels"]["team"] == "sre", doc["metadata"]
    # More endpoints in the config, more probe targets: nothing to edit by hand.
    [probe] = [d for d in docs if d["kind"] == "Probe"]
    assert probe["spec"]["targets"]["staticConfig"]["static"] == [e.name for _, _, e in config.endpoints()]


def test_kubectl_kustomize_builds_the_set_offline():
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (Debian: kubernetes-client); the field checks above still ran")
    out = subprocess.run([kubectl, "kustomize", str(DEPLOY)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == ["ConfigMap", "Deployment", "Probe", "Service", "ServiceMonitor"]
    assert all(d["metadata"]["namespace"] == "monitoring" for d in docs)
    [cm] = [d for d in docs if d["kind"] == "ConfigMap"]
    [dep] = [d for d in docs if d["kind"] == "Deployment"]
    # kustomize hashes the ConfigMap name and rewrites the Deployment's reference to it
    assert dep["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == cm["metadata"]["name"] != "chainwatch-config"
