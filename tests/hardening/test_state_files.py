"""The validator monitors' state files under kills and corruption (issue #35).

A kill between write and rename leaves a temp file: removed at start. A file that cannot be
read (not JSON, the wrong shape, a field of the wrong type) is kept aside as
``<name>.corrupt-<UTC time>``, the monitor starts fresh with one warning and no traceback,
and its next save writes a good file. Talks to: nothing (files in a temp dir); the beacon
loader end to end against the simulated beacon node (tests/beacon/fakebeacon.py).
"""

from __future__ import annotations

import json
import logging

import pytest

from chainwatch.exporters.statefile import StateFile, Unreadable
from chainwatch.kinds.beacon.monitor import Counters
from chainwatch.kinds.cosmos.monitor import State
from tests.beacon.test_beacon_monitor import fake, make, transport  # noqa: F401 - fixtures

UNREADABLE = "validator state file unreadable; starting fresh"


def warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_save_is_whole_and_leaves_no_temp_file(tmp_path):
    f = StateFile(tmp_path / "s.json", "c")
    f.save({"a": 1})
    f.save({"a": 2})
    assert json.loads((tmp_path / "s.json").read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_temp_files_a_kill_left_are_removed_at_start(tmp_path):
    (tmp_path / "s.json").write_text('{"a": 1}')
    (tmp_path / ".s.json.k1l2x9").write_text('{"a": ')  # killed between write and rename
    (tmp_path / ".other.json.abc").write_text("{}")  # another monitor's: not ours to remove
    assert StateFile(tmp_path / "s.json", "c").load(lambda d: d) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.abc", "s.json"]


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ('{"last_height": 5, "gro', "Unterminated string"),  # cut short by a full disk
        ("[1, 2, 3]", "expected a JSON object, got list"),
        ('"just a string"', "expected a JSON object, got str"),
        (b"\xff\xfe{}", "Expecting value"),  # not text
    ],
)
def test_a_corrupt_file_is_kept_aside_and_the_monitor_starts_fresh(tmp_path, caplog, content, detail):
    path = tmp_path / "s.json"
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    with caplog.at_level(logging.INFO):
        assert StateFile(path, "c").load(lambda d: d) is None
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("s.json.corrupt-")]
    assert len(kept) == 1 and not path.exists()
    assert kept[0].read_bytes() == (content if isinstance(content, bytes) else content.encode())  # nothing lost
    [record] = warnings(caplog)
    assert record.getMessage() == UNREADABLE and record.exc_info is None
    assert detail.lower() in record.detail.lower() and record.kept_as == str(kept[0])


@pytest.mark.parametrize(
    "data",
    [
        {"last_epoch": "abc"},
        {"last_epoch": 5.5},
        {"last_epoch": True},
        {"last_epoch": -1},
        {"groups": []},
        {"groups": {"ops": {"checked": "7"}}},
        {"consecutive": {"ops|1": None}},
        {"duties": {"5": [[1]]}},
        {"duties": {"5": "x"}},
        {"skipped": {}},
        {"sync_consecutive": {"ops|1": "3"}},
        {"sync_committees": {"5": {"size": "8", "members": {}}}},
        {"sync_committees": {"5": {"size": 8, "members": {"x": [1]}}}},
        {"sync_committees": {"5": {"size": 8, "members": {"1": [-1]}}}},
    ],
)
def test_the_beacon_loader_checks_every_field(data):
    with pytest.raises(ValueError):
        Counters.from_json({"version": 2, "genesis_time": 1, **data})


@pytest.mark.parametrize("data", [{"last_height": "12"}, {"groups": {"ops": []}}, {"consecutive": []}, {"skipped": -3}])
def test_the_cosmos_loader_checks_every_field(data):
    with pytest.raises(Unreadable):
        State.from_json(data)


def test_valid_files_still_load():
    c = Counters.from_json({"version": 2, "last_epoch": 7, "groups": {"g": {"checked": 3}}, "consecutive": {"g|1": 2}, "duties": {"8": [[260, 1]]}})
    assert (c.last_epoch, c.groups["g"]["checked"], c.consecutive, c.duties) == (7, 3, {"g|1": 2}, {"8": [[260, 1]]})
    s = State.from_json({"last_height": None, "groups": {"g": {"missed": 2}}})
    assert (s.last_height, s.groups["g"]["missed"]) == (None, 2)


@pytest.mark.parametrize("content", ['{"version": 2, "genesis_time": GENESIS, "last_epoch": "abc"}', "[]"])
async def test_the_beacon_monitor_starts_fresh_on_a_wrong_shape_and_saves_a_good_file(fake, transport, tmp_path, caplog, content):  # noqa: F811
    state = tmp_path / "state.json"
    state.write_text(content.replace("GENESIS", str(fake.genesis_time)))
    monitor = make(fake, transport, tmp_path)
    with caplog.at_level(logging.INFO):
        await monitor.step(now=fake.time_at(6, 9))  # loads the state, then processes epoch 5
    assert [r.getMessage() for r in warnings(caplog) if "state file" in r.getMessage()] == [UNREADABLE]
    assert all(r.exc_info is None for r in caplog.records)
    assert monitor.counters.last_epoch == 5
    assert json.loads(state.read_text())["last_epoch"] == 5
    assert len(list(tmp_path.glob("state.json.corrupt-*"))) == 1
