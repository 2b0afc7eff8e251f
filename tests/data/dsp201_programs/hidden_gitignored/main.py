import runpy

runpy.run_path("ignored/runner.py")
