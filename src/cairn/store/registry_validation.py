"""Checks for registered models, versions, aliases, stages and tags, applied before any
backend sees them, and the search schemas of the registry's filter strings.

Names are MLflow's with two more rules: no ``/`` or ``@`` (``models:/name/3`` and
``models:/name@alias`` URIs and ``cairn models tag NAME/VERSION`` must stay unambiguous)
and no leading or trailing spaces. Aliases follow MLflow: letters, digits, ``_`` and ``-``,
not ``latest`` and not ``v<digits>`` (which reads as a version).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from cairn.entities import STAGES
from cairn.errors import InvalidInput, NotFound, did_you_mean
from cairn.store.model_validation import optional_text, text
from cairn.store.search.ast import ATTRIBUTE, TAG
from cairn.store.search.fields import NUMBER, STRING, Schema

MAX_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 5000
MAX_SOURCE_LENGTH = 8000
MAX_DESCRIPTION_LENGTH = 65_535
_ALIAS_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_VERSION_LIKE_RE = re.compile(r"^[vV]\d+$")
_PREFIXES = {"tag": TAG, "tags": TAG, "attribute": ATTRIBUTE, "attributes": ATTRIBUTE}

REGISTERED_MODELS = Schema(
    noun="registered model",
    prefixes=_PREFIXES,
    attributes={"name": STRING, "creation_timestamp": NUMBER, "last_updated_timestamp": NUMBER},
    bare_attributes_in_filter=True,
    orderable=("name", "creation_timestamp", "last_updated_timestamp"),
    entity_kinds={TAG: STRING},
)
MODEL_VERSIONS = Schema(
    noun="model version",
    prefixes=_PREFIXES,
    attributes={
        "name": STRING,
        "version_number": NUMBER,
        "run_id": STRING,
        "source_path": STRING,
        "current_stage": STRING,
        "creation_timestamp": NUMBER,
        "last_updated_timestamp": NUMBER,
    },
    aliases={"version": "version_number", "source": "source_path"},
    bare_attributes_in_filter=True,
    orderable=("name", "version_number", "creation_timestamp", "last_updated_timestamp"),
    entity_kinds={TAG: STRING},
)


def model_name(name: object, what: str = "registered model name") -> str:
    """A registered model name: 1-256 characters, no ``/`` or ``@``, no outer spaces."""
    found = text(name, what, MAX_NAME_LENGTH)
    if found != found.strip() or "/" in found or "@" in found or not found.isprintable():
        raise InvalidInput(
            f"{what} {found!r} is not allowed; use printable characters without '/' or '@' "
            "and without leading or trailing spaces (e.g. churn-classifier)"
        )
    return found


def version_number(version: object) -> int:
    """A version number: a positive integer (or its decimal string, as MLflow sends it)."""
    if isinstance(version, str) and version.strip().isdecimal():
        version = int(version.strip())
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 2**63:
        raise InvalidInput(f"model version must be a positive integer, got {version!r}")
    return version


def alias_name(alias: object) -> str:
    """An alias: letters, digits, ``_`` and ``-``; not ``latest`` nor ``v<digits>``."""
    found = text(alias, "alias", MAX_ALIAS_LENGTH)
    if not _ALIAS_RE.match(found) or found.lower() == "latest" or _VERSION_LIKE_RE.match(found):
        raise InvalidInput(
            f"alias {found!r} is not allowed; use letters, digits, '_' or '-' (e.g. champion), "
            "not 'latest' and not v<number>"
        )
    return found


def stage_name(stage: object) -> str:
    """A legacy stage, matched without case: None, Staging, Production or Archived."""
    for known in STAGES:
        if isinstance(stage, str) and stage.strip().lower() == known.lower():
            return known
    raise InvalidInput(f"stage {stage!r} is not one of {', '.join(STAGES)}")


def stage_names(stages: Iterable[str] | None) -> tuple[str, ...]:
    """Several stages (None or empty: every stage)."""
    if stages is None:
        return ()
    if isinstance(stages, str):
        return (stage_name(stages),)
    return tuple(dict.fromkeys(stage_name(s) for s in stages))


def tag_key(key: object) -> str:
    """A registry tag key (1-250 characters)."""
    return text(key, "tag key", MAX_TAG_KEY_LENGTH)


def tag_value(value: object) -> str:
    """A registry tag value (up to 5000 characters; may be empty)."""
    return text(value, "tag value", MAX_TAG_VALUE_LENGTH, required=False)


def tags(found: Mapping[str, Any] | None) -> dict[str, str]:
    """Tags as a checked dict."""
    if found is None:
        return {}
    if not isinstance(found, Mapping):
        raise InvalidInput(f"tags must be a mapping of key to value, got {type(found).__name__}")
    return {tag_key(k): tag_value(v) for k, v in found.items()}


def source(value: object) -> str:
    """Where a version's files are: a URI or path (1-8000 characters)."""
    return text(value, "model version source", MAX_SOURCE_LENGTH)


def description(value: object) -> str | None:
    """A description (None or empty: none)."""
    return optional_text(value, "description", MAX_DESCRIPTION_LENGTH)


def unknown_model(name: str, known: Iterable[str]) -> NotFound:
    """The error for a registered model name that does not exist."""
    return NotFound(
        f"no registered model named {name!r}; `cairn models list` shows them."
        f"{did_you_mean(name, known)}"
    )


def unknown_version(name: str, version: int) -> NotFound:
    """The error for a version a registered model does not have."""
    return NotFound(
        f"registered model {name!r} has no version {version}; "
        f"`cairn models versions {name}` lists them"
    )


def unknown_alias(name: str, alias: str, known: Iterable[str]) -> NotFound:
    """The error for an alias a registered model does not have."""
    return NotFound(
        f"registered model {name!r} has no alias {alias!r}.{did_you_mean(alias, known)}"
    )
