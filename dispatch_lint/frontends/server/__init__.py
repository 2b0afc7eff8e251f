"""The language server front end (`dispatch-lint server`), an optional extra."""

from importlib.util import find_spec

from dispatch_lint.types import ConfigError


def serve() -> int:
    """Run the language server over stdio until the client says exit."""
    if find_spec("pygls") is None or find_spec("lsprotocol") is None:
        raise ConfigError('the language server needs pygls: pip install "dispatch-lint[server]"')
    from dispatch_lint.frontends.server.server import run

    return run()
