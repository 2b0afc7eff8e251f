import sys

sys.path.insert(0, "../lib")
from shared._core import _compute


async def work():
    return await _compute()
