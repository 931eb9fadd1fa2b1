"""Background tasks of the exporter (monitors, streams, balance and usage readers)."""

from __future__ import annotations

import asyncio


async def cancel(task: asyncio.Task | None) -> None:
    """Cancel ``task`` and wait until it has ended, whatever it raised: stopping must not fail."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except (asyncio.CancelledError, Exception):  # noqa: BLE001
        pass
