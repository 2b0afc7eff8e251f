"""The engine: discovery, reading, parsing, the project index, running rules."""
