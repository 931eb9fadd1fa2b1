"""``chainwatch generate`` part: Grafana dashboards and provisioning files.

Writes into ``OUT/dashboards/``:

- ``executive.json``, ``operational.json``, ``chain-<name>.json`` (one per configured chain);
- ``provisioning/dashboards/chainwatch.yaml`` (a file provider) and
  ``provisioning/datasources/prometheus.yaml`` (the Prometheus datasource the
  dashboards' ``datasource`` variable defaults to);
- with ``preview=True``, ``preview/<name>.html``: a static sketch of each layout.

Output is deterministic (sorted keys, stable ids and uids) and never edited by hand.
"""

from __future__ import annotations

from pathlib import Path

from chainwatch import kinds
from chainwatch.core import generated
from chainwatch.dashboards import executive, operational
from chainwatch.dashboards.panels import DATASOURCE_NAME

# Where the provider expects the JSON files. Mount or copy OUT/dashboards there (docs/dashboards.md).
DASHBOARDS_PATH = "/var/lib/grafana/dashboards/chainwatch"
PROMETHEUS_URL = "http://localhost:9090"


def build_all(config) -> dict[str, dict]:
    """File stem -> dashboard JSON data."""
    out = {"executive": executive.build(config), "operational": operational.build(config)}
    for name, chain in sorted(config.chains.items()):
        out[f"chain-{name}"] = kinds.get(chain.kind).dashboard()(config, name, chain)  # each kind's own layout
    return out


def provisioning(config) -> dict[str, dict]:
    provider = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "chainwatch",
                "orgId": 1,
                "folder": "chainwatch",
                "folderUid": "chainwatch",
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }
    datasource = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": DATASOURCE_NAME,
                "uid": "prometheus",
                "type": "prometheus",
                "access": "proxy",
                "url": PROMETHEUS_URL,
                # Not the default: Grafana refuses to start when two provisioned datasources
                # are, and an existing one may be. The dashboards' Data source variable starts
                # on the first Prometheus datasource when its start value matches none.
                "isDefault": False,
                "jsonData": {"timeInterval": "15s"},
            }
        ],
    }
    return {"dashboards/chainwatch.yaml": provider, "datasources/prometheus.yaml": datasource}


def write(config, out: Path, preview: bool = False, **_) -> list[Path]:
    base = Path(out) / "dashboards"
    written = []
    dashboards = build_all(config)
    for stem, data in dashboards.items():
        written.append(generated.write(base / f"{stem}.json", generated.dump_json(data)))
    for rel, data in provisioning(config).items():
        written.append(generated.write(base / "provisioning" / rel, generated.dump_yaml(data, config.path)))
    if preview:
        from chainwatch.dashboards.preview import render

        for stem, data in dashboards.items():
            written.append(generated.write(base / "preview" / f"{stem}.html", render(data)))
    return written
