import asyncio

try:
    from _not_installed_fast_sender import _send
except ImportError:
    async def _send(data):
        return f"sent {data}"


async def main():
    print(await _send("x"))


asyncio.run(main())
