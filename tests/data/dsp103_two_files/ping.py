import asyncio

from pong import Pong


class Ping:
    def __init__(self):
        self.inbox = asyncio.Queue(8)
        self.pong = Pong(self)

    async def run(self):
        while True:
            await self.pong.inbox.put(await self.inbox.get())
