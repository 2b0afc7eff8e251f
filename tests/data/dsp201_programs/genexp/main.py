import asyncio


async def _double(x):
    return 2 * x


async def main():
    found = []
    async for value in (await _double(x) for x in range(3)):
        found.append(value)
    print(found)


asyncio.run(main())
