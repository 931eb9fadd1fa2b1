"""The rules pipeline's toolkit, kept under its old name: see :mod:`chainwatch.core.alertkit`."""

from chainwatch.core.alertkit import *  # noqa: F401,F403
from chainwatch.core.alertkit import _PLACEHOLDER, _go_g4, _num  # noqa: F401
