"""Build step for the one C extension; all other settings live in pyproject.toml.

``cairn.data._fastscan`` is the file-listing loop of ``cairn data status`` and ``add``. It is
optional: without a compiler the build skips it and ``cairn.data.walk`` uses its Python loop.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("cairn.data._fastscan", ["src/cairn/data/_fastscan.c"], optional=True),
    ]
)
