"""The rules pipeline's toolkit, kept under its old name: see :mod:`chainwatch.core.alertkit`."""

from chainwatch.core.alertkit import *  # noqa: F401,F403
