"""Fixes: applying edits to text, checking and writing the results."""
