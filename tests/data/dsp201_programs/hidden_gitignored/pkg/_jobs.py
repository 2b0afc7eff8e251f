async def _job():
    return "job"
