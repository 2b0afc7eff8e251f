from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ping import Ping


class Pong:
    def __init__(self, ping: Ping):
        self.inbox = asyncio.Queue(8)
        self.ping = ping

    async def run(self):
        while True:
            await self.ping.inbox.put(await self.inbox.get())
