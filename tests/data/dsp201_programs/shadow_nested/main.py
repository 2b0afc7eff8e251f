import asyncio


async def _render():
    await asyncio.sleep(0)
    return "outer"


async def build():
    async def _render():  # dead nested coroutine
        return "inner"
    return await _render()


async def show():
    return await _render()  # calls the module-level coroutine


async def main():
    print(await build(), await show())


asyncio.run(main())
