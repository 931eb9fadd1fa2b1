"""Secrets never leave the exporter: not in metrics, logs, ``check`` or ``generate`` output.

Every endpoint of every chain kind carries five unique tokens the way providers do it:
in the URL path, from an environment variable, in the query string (``?apikey=``), as
basic-auth password and as a header value (also from the environment). The endpoints
are run through success and every failure path of tests/support/hostile.py, including
servers that quote the request (URL, headers) back in an HTML error page or a JSON-RPC
error message, as careless proxies and providers do. Validator monitors run against
such endpoints too. The exporter logs at debug level for the test.

The assertion is stronger than "the token does not appear": no 10-character piece of any
token may appear, so a detail cut in the middle of a token is caught too.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import sys

import pytest

from tests.support.configs import mainnet
from tests.support.hostile import DNS_FAIL_URL, HostileServer, beacon_kind, cosmos_kind, evm_kind, refused_url, solana_kind
from tests.support.poll import wait_until
from tests.support.stack import Samples

from .harness import DebugExporter, write_config

WINDOW = 10


def token(label: str) -> str:
    return f"{label}{secrets.token_hex(12)}"


TOKENS = {
    "path": token("pathtok"),
    "env": token("envtok"),
    "query": token("qtok"),
    "password": token("pwtok"),
    "header": token("hdrtok"),
}
# The beacon and the Solana monitor (on the monitor base) each logging a failed round; msg="..." tells them apart.
MONITOR_FAILURES = ('msg="validator monitor round failed', 'msg="solana validator monitor round failed')
ENV = {"CW_HARDEN_KEY": TOKENS["env"], "CW_HARDEN_HEADER": TOKENS["header"]}
KINDS = {
    "evm": (lambda: evm_kind(chain_id=1, head=16), mainnet("evm")),
    "beacon": (lambda: beacon_kind(head=16), mainnet("beacon")),
    "solana": (lambda: solana_kind(slot=16), mainnet("solana")),
    "cosmos": (lambda: cosmos_kind(head=16), mainnet("cosmos")),
}
SKIP = {"stall_before_headers", "slow_drip"}  # timeouts say nothing about the answer; keep the test fast
# Answers that succeed or are read like another case (test_matrix.py has them): keep the scrape small.
SKIP |= {
    "batch_refused_400",
    "batch_refused_413",
    "batch_refused_dropped",
    "health_404",
    "health_501",
    "peers_405",
    "finality_501",
    "peers_bad_entry",
    "rate_limited_item",
}
# Cosmos shares the transport: its endpoints take the cases that quote or carry secrets, and its own errors.
COSMOS_CASES = {"ok", "echo_secrets", "echo_in_rpc_error", "status_500", "html", "redirect", "rate_limited", "rpc_error_objects", "wrong_chain"}


BASIC = base64.b64encode(f"user:{TOKENS['password']}".encode()).decode()


def leaks(text: str) -> list[str]:
    found = []
    if BASIC[8 : 8 + WINDOW + 4] in text:
        found.append("basic-auth header value")
    for label, tok in TOKENS.items():
        for i in range(len(tok) - WINDOW + 1):
            if tok[i : i + WINDOW] in text:
                found.append(f"{label} token ({tok[i : i + WINDOW]!r}...)")
                break
    return found


def secret_url(base_case_url: str) -> str:
    # http://127.0.0.1:P/<case>/ -> http://user:PW@127.0.0.1:P/<case>/<path>/${ENV}?apikey=<query>
    scheme, rest = base_case_url.split("://", 1)
    return f"{scheme}://user:{TOKENS['password']}@{rest}{TOKENS['path']}/${{CW_HARDEN_KEY}}?apikey={TOKENS['query']}"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("secrets")
    servers, chains, names = [], {}, []
    headers = {"X-Api-Key": "${CW_HARDEN_HEADER}"}  # with user:pw@ in the URL, Authorization is taken
    try:
        for kind, (make, chain) in KINDS.items():
            k = make()
            srv = HostileServer(k).start()
            tls = HostileServer(k, tls=True, workdir=tmp).start() if shutil.which("openssl") else None
            servers += [srv] + ([tls] if tls else [])
            endpoints = [{"name": f"{kind}-ref", "url": secret_url(srv.url("ok")), "role": "reference", "headers": headers}]
            for case in srv.cases:
                if case not in SKIP and (kind != "cosmos" or case in COSMOS_CASES):
                    endpoints.append({"name": f"{kind}-{case.replace('_', '-')}", "url": secret_url(srv.url(case)), "headers": headers})
            endpoints += [
                {"name": f"{kind}-refused", "url": secret_url(refused_url()), "headers": headers},
                {"name": f"{kind}-dns", "url": secret_url(DNS_FAIL_URL), "headers": headers},
                {"name": f"{kind}-tls-plain", "url": secret_url(srv.url("ok").replace("http://", "https://")), "headers": headers},
            ]
            if tls is not None:
                endpoints.append({"name": f"{kind}-tls", "url": secret_url(tls.url("ok")), "headers": headers})
            if kind == "cosmos":  # the LCD URL carries the same secrets (its own path, query, env and password)
                for e in endpoints:
                    e["lcd_url"] = e["url"].replace("/${CW_HARDEN_KEY}", "/lcd/${CW_HARDEN_KEY}")
            names += [e["name"] for e in endpoints]
            chains[f"{kind}-chain"] = {**chain, "endpoints": endpoints}
        chains["beacon-chain"]["validators"] = {"endpoint": "beacon-echo-secrets", "fallbacks": ["beacon-echo-in-rpc-error"], "groups": {"ops": [1, 2]}}
        chains["solana-chain"]["validators"] = {
            "endpoint": "solana-echo-in-rpc-error",
            "groups": {"ops": [{"vote_account": "Vote111111111111111111111111111111111111111", "identity": "11111111111111111111111111111111"}]},
        }
        chains["cosmos-chain"]["validators"] = {
            "endpoint": "cosmos-echo-in-rpc-error",
            "fallbacks": ["cosmos-echo-secrets"],
            "groups": {"ops": ["4748B1921F9D6CF16D8B3D5DECC5CEC3442203D5", "cosmosvaloper1ltazq835ufmjsslxhf0y2wvd5laeh7jq5haf92"]},
        }
        config = write_config(tmp / "chainwatch.yaml", chains, exporter={"min_probe_interval_seconds": 0, "state_dir": str(tmp / "state")})
        texts: dict[str, str] = {}
        with DebugExporter(config, tmp, extra_env=ENV) as exporter:
            scrape = {"X-Prometheus-Scrape-Timeout-Seconds": "4"}
            for i in range(2):
                texts[f"/metrics #{i}"] = exporter.get("/metrics", scrape)[1]
            for n in names:
                texts[f"/probe?target={n}"] = exporter.get(f"/probe?target={n}", scrape)[1]
            for c in chains:
                texts[f"/probe?chain={c}"] = exporter.get(f"/probe?chain={c}", scrape)[1]
            texts["/"] = exporter.get("/")[1]
            # Both validator monitors have failed a round against the echoing endpoints (and said so in the log).
            wait_until(
                lambda: all(m in exporter.log_path.read_text(errors="replace") for m in MONITOR_FAILURES),
                10,
                f"the validator monitors logging {MONITOR_FAILURES}",
                interval=0.2,
            )
        texts["serve log"] = exporter.log_path.read_text(errors="replace")
        env = {**os.environ, **ENV}
        check = subprocess.run(
            [sys.executable, "-m", "chainwatch.cli", "check", "--config.file", str(config), "--timeout", "4"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        texts["check stdout"], texts["check stderr"] = check.stdout, check.stderr
        generated = {}
        for part in ("rules", "dashboards", "alertmanager"):
            out = tmp / "generated" / part
            run = subprocess.run(
                [sys.executable, "-m", "chainwatch.cli", "generate", "--config.file", str(config), "--out", str(out), "--only", part],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )
            texts[f"generate {part} output"] = run.stdout + run.stderr
            generated[part] = run.returncode
            for path in sorted(out.rglob("*")) if out.exists() else []:
                if path.is_file():
                    texts[f"generated {path.relative_to(tmp)}"] = path.read_text(errors="replace")
        seen = [f"{m} {p} {h} {b[:200]!r}" for srv in servers for (m, p, h, b) in srv.requests]
        yield {"texts": texts, "check": check, "generated": generated, "seen": "\n".join(seen), "names": names}
    finally:
        for srv in servers:
            srv.stop()


def test_the_tokens_really_went_upstream(outputs):
    # Otherwise the test below proves nothing: every token was sent to the servers.
    for label in ("path", "env", "query", "header"):
        assert TOKENS[label] in outputs["seen"], label
    assert "'Authorization': 'Basic " in outputs["seen"]  # user:password@ became basic auth


def test_failures_were_exercised(outputs):
    s = Samples.parse(outputs["texts"]["/metrics #0"])
    seen = {labels["reason"] for labels, v in s.find("chainwatch_probe_failure_reason") if v == 1}
    assert seen == {"connect", "tls", "http_status", "rate_limited", "invalid_json", "invalid_response", "rpc_error", "wrong_chain", "response_too_large"}
    for kind in KINDS:
        assert s.value("chainwatch_probe_success", endpoint=f"{kind}-ok") == 1
        assert s.value("chainwatch_probe_success", endpoint=f"{kind}-echo-in-rpc-error") == 0
    assert "FAIL" in outputs["texts"]["check stdout"] and "FAIL echo" not in outputs["texts"]["check stdout"]


def test_generators_ran(outputs):
    generated = [k for k in outputs["texts"] if k.startswith("generated ")]
    assert all(rc == 0 for rc in outputs["generated"].values()), outputs["generated"]
    assert generated, "no generator wrote a file"


def test_no_token_anywhere(outputs):
    found = {where: leaks(text) for where, text in outputs["texts"].items()}
    found = {k: v for k, v in found.items() if v}
    assert not found, f"secrets leaked: {found}"
