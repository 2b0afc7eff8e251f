"""dispatch-lint: find and fix backpressure and dispatch defects in async Python."""

__version__ = "0.2.0"
