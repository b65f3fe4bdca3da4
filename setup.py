"""Build step for the C extensions; all other settings live in pyproject.toml.

``cairn.data._fastscan`` is the file-listing loop of ``cairn data status`` and ``add``;
``cairn.objects._faststore`` the per-file store loop of ``cairn data add`` (with its own
portable BLAKE3). Both are optional: without a compiler the build skips them and cairn uses
its Python loops (``cairn.data.walk``, ``ObjectDB.store_file``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("cairn.data._fastscan", ["src/cairn/data/_fastscan.c"], optional=True),
        Extension(
            "cairn.objects._faststore",
            ["src/cairn/objects/_faststore.c"],
            depends=["src/cairn/objects/_blake3_portable.h"],
            extra_compile_args=["-O3"],
            optional=True,
        ),
    ]
)
