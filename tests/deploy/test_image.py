"""The image recipe (deploy/Dockerfile + .dockerignore) ships only what it builds.

The build context is what a builder sends before the first step runs; whatever it holds can
reach a layer. The old recipe did ``COPY . .`` with no ``.dockerignore``: an image built after
``.ci/setup`` carried ``.tools`` (517 MB), ``.venv``, ``.git`` and any local config or key
file. The context test computes the context from ``.dockerignore`` with the Docker SDK's own
matcher (``docker.utils.build.exclude_paths``, the same rules as the Docker CLI, buildah and
podman) over a copy of this checkout with such files planted.

The build test builds the image for real with buildah (daemonless, Debian's package) from
the local base ``.ci/image-base`` makes (Debian 12 by debootstrap, imported with ``buildah
from scratch``: no container registry is reachable here), then checks every layer's files,
the user the image runs as, and that the exporter in it answers ``/metrics``. Containers run
with buildah's chroot isolation: crun/podman cannot start containers on this machine (its
cgroups are in hybrid mode, and setrlimit is refused), and chroot isolation shares the host's
network, so the exporter listens on a free loopback port. Measured here: the build takes
~60 s (pip installs the dependencies from PyPI), the base image ~70 s once per machine.
"""

from __future__ import annotations

import json
import ast
import os
import shutil
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

from chainwatch.devnet.procs import free_port
from tests.support import require_binary
from tests.support.poll import wait_until

REPO = Path(__file__).resolve().parents[2]


def _setup_top() -> tuple[str, ...]:
    """setup.py's ``TOP``: the folders the wheel is built from (one list, not a second copy here)."""
    for node in ast.parse((REPO / "setup.py").read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "TOP" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("setup.py has no TOP")


PRODUCT = _setup_top()
BASE = os.environ.get("CHAINWATCH_BASE_IMAGE", "localhost/chainwatch-base:bookworm")

# What a developer's checkout holds besides the sources (each must stay out of the context).
PLANTED = (
    ".tools/node_modules/anvil/bin/anvil",
    ".venv/bin/python",
    ".venv/lib/python3.11/site-packages/x.py",
    ".git/config",
    ".git/objects/ab/cdef",
    "chainwatch.yaml",
    "secrets/pagerduty.key",
    "pagerduty.key",
    ".env",
    "build/lib/chainwatch/core/config.py",
    "dist/chainwatch-0.1.0-py3-none-any.whl",
    "chainwatch-state/epochs.json",
    ".pytest_cache/v/cache/lastfailed",
    ".ruff_cache/0.6/x",
    "core/__pycache__/config.cpython-311.pyc",
    "kinds/evm/local.yaml",
    "kinds/evm/tls.key",
    "exporters/.env",
    "chainwatch.egg-info/PKG-INFO",
)


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if (REPO / line).is_file()]


def context(root: Path) -> set[str]:
    patterns = [p.strip() for p in (root / ".dockerignore").read_text().splitlines() if p.strip() and not p.startswith("#")]
    return {p for p in exclude_paths(str(root), patterns) if (root / p).is_file()}


def shipped(files: list[str]) -> set[str]:
    """The files the wheel is built from: the product's folders, and the packaging files."""
    return {f for f in files if f.split("/")[0] in PRODUCT} | {"pyproject.toml", "setup.py", "README.md"}


def test_context_holds_the_sources_and_nothing_local(tmp_path):
    files = tracked_files()
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, tmp_path / rel)
    for rel in PLANTED:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("secret-routing-key\n")
    sent = context(tmp_path)
    assert not sent & set(PLANTED), sorted(sent & set(PLANTED))
    missing = shipped(files) - sent
    assert not missing, f"the wheel would be built without {sorted(missing)}"
    assert not {f for f in sent if f.split("/")[0] in ("tests", "docs", "examples", "bench", "deploy", ".ci")}
    # Builders always send .dockerignore itself; it names no secret.
    assert sent == shipped(files) | {".dockerignore"}, sorted(sent - shipped(files))


def test_context_of_this_checkout_leaves_out_tools_venv_and_git():
    sent = context(REPO)
    tops = {f.split("/")[0] for f in sent}
    assert not tops & {".tools", ".venv", ".git", "tests", "build", "dist"}, tops
    assert tops <= set(PRODUCT) | {"pyproject.toml", "setup.py", "README.md", ".dockerignore"}, tops


# --------------------------------------------------------------------------- a real build


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    buildah = require_binary("buildah")
    if subprocess.run([buildah, "inspect", "--type", "image", BASE], capture_output=True).returncode != 0:
        made = subprocess.run([str(REPO / ".ci/image-base")], capture_output=True, text=True, timeout=600)
        assert made.returncode == 0, made.stderr[-3000:]
    tag = f"localhost/chainwatch-test:{os.getpid()}"
    started = time.monotonic()
    built = subprocess.run(
        [buildah, "bud", "--isolation", "chroot", "--layers=false", "-f", "deploy/Dockerfile", "--build-arg", f"BASE={BASE}", "-t", tag, "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    print(f"image built in {time.monotonic() - started:.0f} s")
    try:
        yield buildah, tag
    finally:
        subprocess.run([buildah, "rmi", "-f", tag], capture_output=True)


def layer_files(buildah: str, tag: str, where: Path) -> set[str]:
    subprocess.run([buildah, "push", "-q", tag, f"dir:{where}"], check=True, capture_output=True, timeout=300)
    manifest = json.loads((where / "manifest.json").read_text())
    names: set[str] = set()
    for layer in manifest["layers"]:
        with tarfile.open(where / layer["digest"].split(":")[1]) as tar:
            names.update(m.name.lstrip("./") for m in tar.getmembers())
    return names


def check_layers_and_config(buildah: str, tag: str, tmp_path) -> None:
    names = layer_files(buildah, tag, tmp_path / "oci")
    leaked = {n for n in names if {".tools", ".venv", ".git"} & set(n.split("/")) or n.split("/")[0] in ("src", "wheels")}
    assert not leaked, sorted(leaked)[:20]  # the build stage's checkout and wheel stay in the build stage
    assert not any("/site-packages/chainwatch/tests" in n or "/site-packages/chainwatch/bench" in n for n in names)
    assert not any(n.endswith(("chainwatch.yaml", ".key")) for n in names)
    assert "opt/chainwatch/bin/chainwatch" in names
    config = json.loads(subprocess.run([buildah, "inspect", "--type", "image", tag], capture_output=True, text=True, check=True).stdout)["OCIv1"]["config"]
    assert config["User"] == "65534:65534"
    assert config["Entrypoint"] == ["/opt/chainwatch/bin/chainwatch"]
    assert "9877/tcp" in config["ExposedPorts"]


def test_image_holds_no_checkout_runs_as_nobody_and_serves_metrics(image, tmp_path):
    # One test for the one build: the suite's workers must not build the image twice.
    buildah, tag = image
    check_layers_and_config(buildah, tag, tmp_path)
    ctr = subprocess.run([buildah, "from", tag], capture_output=True, text=True, check=True).stdout.strip()
    try:
        (tmp_path / "chainwatch.yaml").write_text(
            "chains:\n  eth:\n    kind: evm\n    network: mainnet\n    chain_id: 1\n    endpoints:\n      - {name: geth-1, url: 'http://127.0.0.1:1/'}\n"
        )
        subprocess.run([buildah, "copy", ctr, str(tmp_path / "chainwatch.yaml"), "/etc/chainwatch/chainwatch.yaml"], check=True, capture_output=True)
        run = [buildah, "run", "--isolation", "chroot", ctr, "--"]
        who = subprocess.run([*run, "id", "-u"], capture_output=True, text=True, timeout=60)
        assert who.stdout.strip() == "65534", who.stdout + who.stderr
        port = free_port()
        log = (tmp_path / "serve.log").open("w")
        serve = subprocess.Popen(
            [*run, "chainwatch", "serve", "--config.file=/etc/chainwatch/chainwatch.yaml", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:

            def metrics() -> str | None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                        return answer.read().decode()
                except OSError:
                    return None

            wait_until(lambda: metrics() is not None or serve.poll() is not None, 60, "the image's exporter answers /metrics")
            body = metrics()
            assert body is not None, (tmp_path / "serve.log").read_text()[-3000:]
            assert "chainwatch_endpoints_configured 1.0" in body
        finally:
            if serve.poll() is None:
                os.killpg(serve.pid, 15)
            serve.wait(timeout=30)
    finally:
        subprocess.run([buildah, "rm", ctr], capture_output=True)
