async def _compute():
    return 42


async def _result():
    return await _compute()
