import asyncio


class Client:
    async def _send(self, message):
        return f"client {message}"

    async def send(self, message):
        return await self._send(message)


class Transport(asyncio.Protocol):  # a base outside the project
    def __init__(self, send):
        self._send = send  # the instance attribute hides any method of this name

    async def send(self, data):
        return await self._send(data)  # calls `deliver`, never `Client._send`


async def deliver(data):
    await asyncio.sleep(0)
    return f"delivered {data}"


async def main():
    print(await Client().send("a"), await Transport(deliver).send("b"))


asyncio.run(main())
