"""What a scraper asked for: the exposition format (``Accept``) and the encoding (``Accept-Encoding``).

- **OpenMetrics 1.0.0** when ``Accept`` lists ``application/openmetrics-text`` without a
  version or with version 1.0.0, and not with ``q=0`` (Prometheus lists it first by
  default); otherwise the text format 0.0.4. Like prometheus_client's ``choose_encoder``,
  the ``q`` order among acceptable ranges is not weighed: OpenMetrics is preferred whenever
  it is acceptable. Spec: https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md
- **gzip** when ``Accept-Encoding`` lists ``gzip`` (not ``q=0``), as Go's promhttp does.

The text exposition is rendered once (:mod:`chainwatch.exporters.exposition`, cached per
endpoint); OpenMetrics differs from it only in each family's ``# HELP``/``# TYPE`` lines
(a counter's family name drops ``_total``; ``"`` is escaped in help text) and the final
``# EOF``. :func:`to_openmetrics` swaps those header lines in the rendered chunks, so an
OpenMetrics scrape costs one scan for ``#`` lines, not a second rendering. Its output equals
``prometheus_client.openmetrics.exposition.generate_latest`` of the same samples byte for
byte (tests/exporter/test_listener_formats.py).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics

from chainwatch.assembly import catalog
from chainwatch.assembly.catalog import Type

TEXT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS = openmetrics.CONTENT_TYPE_LATEST  # application/openmetrics-text; version=1.0.0; charset=utf-8
EOF = b"# EOF\n"


def wants_openmetrics(accept: str | None) -> bool:
    """``Accept: application/openmetrics-text; version=1.0.0`` (or no version) -> True."""
    for media_range in (accept or "").split(","):
        kind, *params = (part.strip() for part in media_range.split(";"))
        if kind.lower() != "application/openmetrics-text":
            continue
        options = {key.strip().lower(): value.strip() for key, _, value in (p.partition("=") for p in params)}
        if options.get("version", "1.0.0") == "1.0.0" and _q(options.get("q")) > 0:
            return True
    return False


def _q(value: str | None) -> float:
    """A media range's or coding's weight (RFC 9110 section 12.4.2): 1 when absent, 0 when unreadable."""
    if value is None:
        return 1.0
    try:
        return float(value)
    except ValueError:
        return 0.0


def wants_gzip(accept_encoding: str | None) -> bool:
    """``Accept-Encoding: gzip`` (also ``gzip;q=0.5``, ``*``), not ``gzip;q=0``."""
    for coding in (accept_encoding or "").split(","):
        name, *params = (part.strip() for part in coding.split(";"))
        if name.lower() in ("gzip", "x-gzip", "*"):
            options = {key.strip().lower(): value.strip() for key, _, value in (p.partition("=") for p in params)}
            return _q(options.get("q")) > 0
    return False


GZIP_LEVEL = 1


def gzipped(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """``pieces`` as one gzip stream, compressed as they go (a 256 KiB piece at level 1 holds
    the event loop ~0.5 ms). Level 1, not zlib's default 6: the 5.4 MB exposition of 1000
    endpoints compressed to 170 kB in 11 ms of CPU at level 1, to 151 kB in 26 ms at level 6
    (docs/listener.md); the last 20 kB are not worth doubling the cost on every scrape."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for piece in pieces:
        yield compressor.compress(piece)
    yield compressor.flush()


_HEADERS: dict[bytes, bytes] = {}


def _openmetrics_header(name: bytes) -> bytes | None:
    """The ``# HELP``/``# TYPE`` lines OpenMetrics wants for catalog family ``name`` (None: not ours)."""
    header = _HEADERS.get(name)
    if header is None:
        try:
            metric = catalog.get(name.decode("ascii"))
        except KeyError:
            return None
        base = metric.name.removesuffix("_total") if metric.type is Type.COUNTER else metric.name
        doc = metric.help.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
        header = _HEADERS[name] = f"# HELP {base} {doc}\n# TYPE {base} {metric.type.value}\n".encode()
    return header


def to_openmetrics(chunks: Iterable[bytes], tail: bytes = b"") -> Iterator[bytes]:
    """Text-format ``chunks`` of catalog families (each whole lines, as the exposition writes
    them) as OpenMetrics, then ``tail`` (already OpenMetrics), then ``# EOF``."""
    for chunk in chunks:
        start = _next_help(chunk, 0)
        if start < 0:  # most pieces of a large exposition: one family's lines, no header
            yield chunk
            continue
        view = memoryview(chunk)  # slices without copies; one join per chunk
        out: list = []
        at = 0
        while start >= 0:
            name_end = chunk.index(b" ", start + 7)
            type_end = chunk.index(b"\n", chunk.index(b"\n", name_end) + 1) + 1  # the HELP line and the TYPE line after it
            header = _openmetrics_header(chunk[start + 7 : name_end])
            if header is not None:
                out.append(view[at:start])
                out.append(header)
                at = type_end
            start = _next_help(chunk, type_end)
        out.append(view[at:])
        yield b"".join(out)
    yield tail + EOF


def _next_help(chunk: bytes, at: int) -> int:
    """Offset of the next line starting ``# HELP `` at or after line start ``at``; -1 if none.

    Looks for ``#`` alone (memchr: ~0.7 ms over a 5 MB exposition, where searching
    ``\\n# HELP `` took ~9 ms because every line starts with the needle's ``\\n``), then
    checks it starts a header line; a ``#`` inside a label value is skipped.
    """
    while True:
        found = chunk.find(b"#", at)
        if found < 0:
            return -1
        if (found == 0 or chunk[found - 1] == 0x0A) and chunk.startswith(b"# HELP ", found):
            return found
        at = found + 1


class ProcessMetrics:
    """The exporter's own ``process_*`` series (CPU seconds, resident memory, open file
    descriptors, start time: prometheus_client's ``ProcessCollector``, read from /proc), for
    ``/metrics`` and ``/-/metrics`` only: ``/probe`` answers describe the probed target."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self.registry)

    def render(self, openmetrics_format: bool) -> bytes:
        if openmetrics_format:
            return openmetrics.generate_latest(self.registry).removesuffix(EOF)
        return generate_latest(self.registry)
