"""`chainwatch demo` leaves no process behind, whatever ends it.

Real children (anvil nodes, the SIMULATED Solana cluster and CometBFT chain, ``chainwatch serve``, Debian's
Prometheus and Alertmanager; Lodestar, the subgraph and rollup simulators and the
litecoind pair left out to keep seven simultaneous starts light on 2 cores). Each case starts the demo as a user would (``chainwatch demo``, stdout to a file or
a pipe), records every descendant process from /proc once it runs (pid and start time, so a
reused pid is not mistaken for a survivor), ends the demo one way, and polls until none of
them is alive.

Bound: the demo stops its children one by one with SIGTERM and a 5 s grace before SIGKILL
(Lodestar 3 s): at most ~8 x 5 s even if every child ignored SIGTERM; 60 s leaves a loaded
machine its margin. After SIGKILL of the demo the kernel's parent-death signal kills each
child at once.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chainwatch.devnet.cli import MARKER
from tests.support.poll import StopWaiting, wait_until

pytestmark = [pytest.mark.anvil, pytest.mark.prometheus, pytest.mark.alertmanager]

# The new kinds' simulators and nodes are spawned exactly like the anvils and the Solana simulator
# (one code path, devnet/procs.py); left out, seven demos started together stay light on 2 cores.
DEMO = [sys.executable, "-m", "chainwatch.cli", "demo", "--no-beacon", "--no-subgraph", "--no-bitcoin", "--no-rollup", "--no-aptos"]
STOP_BOUND = 60.0  # see the module docstring
READY_BOUND = 120.0  # the demo's own start-up waits (Prometheus' first scrape and rule evaluation) on a loaded machine
CHILDREN = 9  # 4 anvils, solana-sim, cosmos-sim, exporter, Prometheus, Alertmanager
ANVILS = 4  # the children running when start-up reaches --start-gate


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def descendants(root: int) -> dict[int, str]:
    """Every process below ``root`` (children, grandchildren ...): pid -> start time (clock ticks)."""
    parent: dict[int, int] = {}
    start: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                parent[int(entry)], start[int(entry)] = int(fields[1]), fields[19]
    found: dict[int, str] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        for child, ppid in parent.items():
            if ppid == pid and child not in found:
                found[child] = start[child]
                todo.append(child)
    return found


def survivors(recorded: dict[int, str]) -> dict[int, str]:
    """Recorded processes still running (not zombies, same start time), with their command line."""
    out = {}
    for pid, started in recorded.items():
        fields = _stat(pid)
        if fields is None or fields[0] == "Z" or fields[19] != started:
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:120]
        except OSError:
            cmd = "?"
        out[pid] = cmd
    return out


class Demo:
    """``chainwatch demo`` in its own session; its output in a file, or in a pipe we can close."""

    def __init__(self, tmp_path: Path, *, pipe: bool, extra: tuple[str, ...] = ()):
        self.run_dir = tmp_path / "run"
        self.log = tmp_path / "demo.out"
        self.text = ""
        self.read_fd: int | None = None
        self.recorded: dict[int, str] = {}
        if pipe:
            self.read_fd, write_fd = os.pipe()
            stdout = write_fd
        else:
            stdout = open(self.log, "w")
        self.proc = subprocess.Popen(
            [*DEMO, "--run-dir", str(self.run_dir), *extra], stdout=stdout, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        if pipe:
            os.close(write_fd)
        else:
            stdout.close()

    def output(self) -> str:
        if self.read_fd is None:
            return self.log.read_text(errors="replace")
        while select.select([self.read_fd], [], [], 0)[0]:
            chunk = os.read(self.read_fd, 65536)
            if not chunk:
                break
            self.text += chunk.decode(errors="replace")
        return self.text

    def close_stdout(self) -> None:
        os.close(self.read_fd)
        self.read_fd = -1

    def wait(self, condition, what: str) -> None:
        def check():
            if self.proc.poll() is not None:
                raise StopWaiting(f"the demo exited with {self.proc.returncode} before {what}:\n{self.output()[-3000:]}")
            return condition()

        wait_until(check, READY_BOUND, what, interval=0.25)

    def wait_ready(self) -> dict[int, str]:
        self.wait(lambda: "ready in" in self.output() and (self.run_dir / "state.json").exists(), "the demo ready")
        children = self.record()
        assert len(children) >= CHILDREN, f"expected at least {CHILDREN} children, found {survivors(children)}"
        return children

    def record(self) -> dict[int, str]:
        children = descendants(self.proc.pid)
        self.recorded.update(children)
        return children

    def cleanup(self) -> None:
        """After a failure too: the demo and whatever of its children survived (pid and start time checked)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        for pid in survivors(self.recorded):
            try:
                os.killpg(pid, signal.SIGKILL)  # each child leads its own session
            except OSError:
                pass
        if self.read_fd not in (None, -1):
            os.close(self.read_fd)


def assert_nothing_survives(demo: Demo, recorded: dict[int, str]) -> None:
    wait_until(
        lambda: not survivors(recorded),
        STOP_BOUND,
        "every child of the demo gone",
        interval=0.25,
        describe=lambda _: f"still running: {survivors(recorded)}; demo output:\n{demo.output()[-2000:] if demo.read_fd != -1 else ''}",
    )
    demo.proc.wait(STOP_BOUND)  # the demo itself ends too


# Every case after start-up gets its own demo; all of them start at once when the module
# begins (each start is mostly waiting for Prometheus' first scrape and rule evaluation), so
# the cases cost one start-up, not seven. Case name -> output to a pipe (True) or a file.
AFTER_READY = {"SIGINT": False, "SIGTERM": False, "SIGHUP": False, "SIGKILL": False, "closed-stdout": True, "tee-ctrl-c": True, "exception": False}


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    made = {case: Demo(tmp_path_factory.mktemp(case), pipe=pipe) for case, pipe in AFTER_READY.items()}
    try:
        yield made
    finally:
        for demo in made.values():
            demo.cleanup()


@pytest.fixture
def demo_factory(tmp_path):
    made: list[Demo] = []

    def make(pipe: bool = False, extra: tuple[str, ...] = ()) -> Demo:
        demo = Demo(tmp_path, pipe=pipe, extra=extra)
        made.append(demo)
        return demo

    yield make
    for demo in made:
        demo.cleanup()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_stops_every_child(demos, sig):
    demo = demos[sig.name]
    children = demo.wait_ready()
    demo.proc.send_signal(sig)
    assert_nothing_survives(demo, children)
    assert demo.proc.returncode == 0, demo.output()[-2000:]
    assert "no process left behind" in demo.output()
    assert not (demo.run_dir / "state.json").exists()


def test_sigkill_of_the_demo_kills_every_child(demos):
    """Nothing of the demo runs after SIGKILL: the kernel sends each child its parent-death signal."""
    demo = demos["SIGKILL"]
    children = demo.wait_ready()
    demo.proc.send_signal(signal.SIGKILL)
    assert_nothing_survives(demo, children)


def test_closed_stdout_stops_every_child(demos):
    """`chainwatch demo | head`: the reader goes away; the demo stops everything instead of running on unseen."""
    demo = demos["closed-stdout"]
    children = demo.wait_ready()
    demo.close_stdout()
    assert_nothing_survives(demo, children)
    assert not (demo.run_dir / "state.json").exists()


def test_ctrl_c_with_output_piped_to_tee_stops_every_child(demos):
    """`chainwatch demo | tee demo.log`, then Ctrl-C: tee dies at once, and the demo's
    "stopping ..." meets a closed pipe (EPIPE). It used to die there, leaving 11 processes."""
    demo = demos["tee-ctrl-c"]
    children = demo.wait_ready()
    demo.close_stdout()
    demo.proc.send_signal(signal.SIGINT)
    assert_nothing_survives(demo, children)
    assert demo.proc.returncode == 0
    assert not (demo.run_dir / "state.json").exists()


def test_an_exception_stops_every_child(demos):
    """The run directory wiped under the running demo (a tmp cleaner): its live view fails
    with FileNotFoundError, and the demo still stops every child before it exits."""
    demo = demos["exception"]
    children = demo.wait_ready()
    # Best effort, as a tmp cleaner is: the demo appends to pages.log every second and its
    # children may add files while the tree is walked, so the final rmdir can meet a new entry
    # (ENOTEMPTY). The marker, which only the demo writes, is what must be gone.
    shutil.rmtree(demo.run_dir, ignore_errors=True)
    assert not (demo.run_dir / MARKER).exists()
    assert_nothing_survives(demo, children)
    assert demo.proc.returncode != 0
    assert "FileNotFoundError" in demo.output()


def test_sigterm_during_start_up_stops_what_was_started(demo_factory, tmp_path):
    """SIGTERM while the demo is starting stops everything started so far and says it was interrupted.

    The demo is held inside its start-up (the hidden ``--start-gate`` test hook: the anvils
    running, the rest not started, until a file exists that this test never creates), and the
    signal is sent once its status table says it is held there. It used to be sent after a
    check that "ready in" was not printed yet, and a loaded machine finished the start-up in
    between: a normal stop, no "interrupted" (issue #36)."""
    gate = tmp_path / "start-gate"  # never created: only the signal ends the start-up
    demo = demo_factory(extra=("--start-gate", str(gate)))
    demo.wait(lambda: "start-gate: starting" in demo.output(), "the demo's start-up held at the gate")
    children = demo.record()
    assert len(children) >= ANVILS, f"expected the {ANVILS} anvils running, found {survivors(children)}"
    demo.proc.send_signal(signal.SIGTERM)
    assert_nothing_survives(demo, children)
    out = demo.output()
    assert "interrupted while starting" in out, out[-2000:]
    assert "ready in" not in out and "no process left behind" in out, out[-2000:]
    assert demo.proc.returncode == 130, out[-2000:]
