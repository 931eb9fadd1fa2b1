"""The provider's usage API key from a file (``pricing.<p>.usage_api.api_key_file``, issue #31):
``generate`` and ``check`` check it like the other secret files (file, line, field; content never
printed), and the key appears in no generated file, log line or scrape."""

from __future__ import annotations

import logging

from aiohttp import web
from click.testing import CliRunner

from chainwatch.assembly import secretfiles
from chainwatch.assembly.config import load
from chainwatch.cli import main
from tests.exporter.test_evm_probe import geth
from tests.support.configs import IMMEDIATE, config_text, mainnet, node_at
from tests.support.fakeserver import FakeServer
from tests.support.served import ServedExporter

ADMIN_KEY = "qn-admin-k3y-never-shown-4b5c"


def config_file(tmp_path, key_file, url="https://api.quicknode.example/v0/usage/rpc") -> str:
    chains = {"ethereum": mainnet("evm", node_at("https://example.quiknode.pro/tok/", provider="quicknode"))}
    table = {"monthly_quota_credits": 80e6, "usage_api": {"url": url, "api_key_file": str(key_file), "interval_seconds": 1}}
    path = tmp_path / "chainwatch.yaml"
    path.write_text(config_text(chains, exporter={**IMMEDIATE, "state_dir": str(tmp_path / "state")}, pricing={"quicknode": table}))
    return str(path)


def test_a_missing_or_empty_key_file_is_named_with_file_line_and_field(tmp_path):
    key = tmp_path / "qn.key"
    path = config_file(tmp_path, key)
    config = load(path, need_secrets=False)
    (found,) = secretfiles.problems(config)
    line = next(i for i, text in enumerate(open(path).read().splitlines(), 1) if "api_key_file" in text)
    assert found.startswith(f"{path}:{line}: pricing.quicknode.usage_api.api_key_file: {key}: no such file"), found
    key.write_text("")
    assert "is empty" in secretfiles.problems(config)[0]
    key.write_text(ADMIN_KEY)
    assert secretfiles.problems(config) == []


def test_generate_refuses_a_missing_key_file_and_never_writes_the_key(tmp_path):
    key = tmp_path / "qn.key"
    path = config_file(tmp_path, key)
    runner = CliRunner()
    refused = runner.invoke(main, ["generate", "--config.file", path, "--out", str(tmp_path / "refused")])
    assert refused.exit_code == 2 and "pricing.quicknode.usage_api.api_key_file" in refused.output and "--no-check-secret-files" in refused.output
    key.write_text(ADMIN_KEY + "\n")
    done = runner.invoke(main, ["generate", "--config.file", path, "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert any(p.name == "chainwatch-providers.rules.yml" for p in written)
    assert not [p for p in written if ADMIN_KEY in p.read_text(errors="replace")]
    assert ADMIN_KEY not in refused.output + done.output


async def test_a_refused_key_is_in_no_log_line_and_no_scrape(tmp_path, caplog):
    key = tmp_path / "qn.key"
    key.write_text(ADMIN_KEY)

    async def echoing(request, raw):  # a provider that quotes the key it refuses
        return web.json_response({"data": None, "error": f"invalid api key {request.headers.get('x-api-key')}"}, status=401)

    with FakeServer() as srv:
        srv.jsonrpc("/tok/", geth())
        srv.route("GET", "/v0/usage/rpc", echoing)
        path = config_file(tmp_path, key, url=srv.url("/v0/usage/rpc"))
        text = open(path).read().replace("https://example.quiknode.pro/tok/", srv.url("/tok/"))
        caplog.set_level(logging.DEBUG)
        async with ServedExporter(text) as ex:
            await ex.until(lambda s: s.value("chainwatch_provider_usage_read_success", provider="quicknode") == 0, what="a refused read")
            _, body = await ex.get("/metrics")
            _, health = await ex.get("/health")
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "provider usage API read failed" in logged
    assert ADMIN_KEY not in logged and ADMIN_KEY not in body and ADMIN_KEY not in health
