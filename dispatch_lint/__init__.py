"""dispatch-lint: find and fix backpressure and dispatch defects in async Python."""

__version__ = "0.1.0"
