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


class Loop:
    """One background loop per object: :meth:`start` runs its ``_loop()`` coroutine as a task named
    by :meth:`task_name` (once, however often it is called), :meth:`stop` cancels it and waits."""

    _task: asyncio.Task | None = None

    def task_name(self) -> str:
        return type(self).__name__

    async def _loop(self) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.task_name())

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel(task)
