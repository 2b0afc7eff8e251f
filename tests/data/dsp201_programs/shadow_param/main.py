import asyncio


async def _helper():
    return "dead helper"


async def _real():
    await asyncio.sleep(0)
    return "real"


async def use(_helper):
    return await _helper()  # the parameter, not the module's `_helper`


async def main():
    print(await use(_real), await _helper())


asyncio.run(main())
