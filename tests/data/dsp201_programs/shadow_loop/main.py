import asyncio


async def _helper():
    return "dead helper"


async def _tick():
    await asyncio.sleep(0)
    return "tick"


async def loop_variable():
    found = []
    for _helper in (_tick,):
        found.append(await _helper())
    return found


async def comprehension_variable():
    return [await _helper() for _helper in (_tick,)]


async def main():
    print(await loop_variable(), await comprehension_variable(), await _helper())


asyncio.run(main())
