"""Content-addressed objects: digests, hashing, the object database and folder manifests.

An *oid* is the 64-hex BLAKE3 digest of an object's bytes. Data versioning, the pipeline
run cache and packed remotes build on this layer; it knows nothing about git or pointers.
"""

from __future__ import annotations

from cairn.objects.db import ObjectDB
from cairn.objects.digest import HASH_NAME, Digest, check_oid, is_oid
from cairn.objects.hashing import Hasher, hash_bytes, hash_file
from cairn.objects.manifest import Manifest, ManifestEntry, diff

__all__ = [
    "HASH_NAME",
    "Digest",
    "Hasher",
    "Manifest",
    "ManifestEntry",
    "ObjectDB",
    "check_oid",
    "diff",
    "hash_bytes",
    "hash_file",
    "is_oid",
]
