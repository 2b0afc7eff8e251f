import asyncio

from worker import work


async def main():
    print(await work())


asyncio.run(main())
