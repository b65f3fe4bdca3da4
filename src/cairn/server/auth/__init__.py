"""Authentication and per-resource permissions for ``cairn server --auth``."""
