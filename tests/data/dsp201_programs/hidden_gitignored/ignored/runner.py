import asyncio
import sys

sys.path.insert(0, ".")
from pkg._jobs import _job


async def main():
    print(await _job())


asyncio.run(main())
