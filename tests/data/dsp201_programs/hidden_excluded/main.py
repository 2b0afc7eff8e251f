import runpy

runpy.run_path("scripts/runner.py")
