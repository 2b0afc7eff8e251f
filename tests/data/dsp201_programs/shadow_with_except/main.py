import asyncio


async def _helper():
    return "dead helper"


class _Opener:
    async def __aenter__(self):
        await asyncio.sleep(0)
        return self.call

    async def __aexit__(self, *exc):
        return None

    async def call(self):
        await asyncio.sleep(0)
        return "opened"


class _Failure(Exception):
    def __await__(self):
        return asyncio.sleep(0, "caught").__await__()

    def __call__(self):
        return self


async def with_target():
    async with _Opener() as _helper:
        return await _helper()


async def except_target():
    try:
        raise _Failure()
    except _Failure as _helper:
        return await _helper()


async def main():
    print(await with_target(), await except_target(), await _helper())


asyncio.run(main())
