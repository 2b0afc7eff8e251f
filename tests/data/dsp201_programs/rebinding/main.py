import asyncio


async def _helper():
    return "dead helper"


async def _other():
    await asyncio.sleep(0)
    return "rebound"


async def _setup_helper():
    return "dead setup"


def setup():
    global _setup_helper
    _setup_helper = _other


async def main():
    first = await _helper()
    setup()
    print(first, await _setup_helper())


_helper_original = _helper
_helper = _helper_original

asyncio.run(main())
