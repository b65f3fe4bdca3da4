"""A run's overview as readable sections: what the tracking layer recorded in ``cairn.*`` tags
(source, git, environment, hardware, seeds, lineage) sorted into labelled facts.

Pure: the run page gathers the run, its parent and children, and renders what this returns.
Tags not placed in a section stay in ``other_system_tags``; tags users set are ``user_tags``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from cairn.entities import PARENT_TAG, Run

NOTE_TAG = "cairn.note.content"  # the run's description
MLFLOW_NOTE_TAG = "mlflow.note.content"  # the same, written straight to a store by MLflow code
DIFF_ARTIFACT = "source/uncommitted.diff"
REQUIREMENTS_ARTIFACT = "environment/requirements.txt"
SYSTEM_PREFIXES = ("cairn.", "mlflow.")

_SCP_REMOTE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")


@dataclass(frozen=True, slots=True)
class Fact:
    """One labelled value; ``href`` makes it a link, ``mono`` sets it in a fixed font."""

    label: str
    value: str
    href: str | None = None
    mono: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of facts."""

    title: str
    facts: list[Fact] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Overview:
    """Who ran the run and where, the sections of facts, and system tags no section shows."""

    user: str
    host: str | None
    sections: list[Section]
    other_tags: dict[str, str]


def description(run: Run) -> tuple[str, list[str]]:
    """The run's description (markdown) and the tags holding one (cairn's wins over MLflow's)."""
    held = [key for key in (NOTE_TAG, MLFLOW_NOTE_TAG) if key in run.data.tags]
    return (run.data.tags[held[0]] if held else ""), held


def is_system_tag(key: str) -> bool:
    """Tags cairn or MLflow set (shown read-only); the rest belong to the user."""
    return key.startswith(SYSTEM_PREFIXES)


def user_tags(run: Run) -> dict[str, str]:
    """The run's own tags, sorted by key."""
    return {k: v for k, v in sorted(run.data.tags.items()) if not is_system_tag(k)}


def artifacts_link(run_id: str, path: str) -> str:
    """The artifact browser opened at ``path``."""
    return f"/runs/{run_id}/artifacts?path={quote(path)}"


def commit_url(remote: str | None, commit: str | None) -> str | None:
    """A web link to the commit for remotes that look like GitHub/GitLab/Bitbucket, else None."""
    if not remote or not commit:
        return None
    text = remote.strip()
    scp = _SCP_REMOTE.match(text)
    if scp and "://" not in text:
        text = f"https://{scp.group(1)}/{scp.group(2)}"
    text = re.sub(r"^(?:git\+)?ssh://(?:[\w.-]+@)?", "https://", text)
    text = re.sub(r"^git://", "https://", text)
    if not text.startswith(("https://", "http://")):
        return None
    host_and_path = text.split("://", 1)[1]
    host = host_and_path.split("/", 1)[0].split(":", 1)[0].lower()
    base = text.removesuffix("/").removesuffix(".git")
    if "github" in host or "gitlab" in host:
        return f"{base}/commit/{commit}"
    if "bitbucket" in host:
        return f"{base}/commits/{commit}"
    return None


class _Reader:
    """Takes tags out of a copy so that what is left over can be listed as-is."""

    def __init__(self, tags: dict[str, str]) -> None:
        self.left = dict(tags)

    def take(self, key: str) -> str | None:
        return self.left.pop(key, None)

    def take_prefix(self, prefix: str) -> dict[str, str]:
        found = {k: v for k, v in sorted(self.left.items()) if k.startswith(prefix)}
        for key in found:
            del self.left[key]
        return found


def _facts(*candidates: Fact | None) -> list[Fact]:
    return [fact for fact in candidates if fact is not None and fact.value]


def _fact(
    label: str, value: str | None, href: str | None = None, mono: bool = False
) -> Fact | None:
    return Fact(label, value, href, mono) if value else None


def overview(run: Run) -> Overview:
    """The run's recorded context, sorted into sections."""
    tags = _Reader({k: v for k, v in run.data.tags.items() if is_system_tag(k)})
    run_id = run.info.run_id
    for shown_elsewhere in (NOTE_TAG, MLFLOW_NOTE_TAG, PARENT_TAG, "mlflow.runName"):
        tags.take(shown_elsewhere)
    user = tags.take("cairn.user") or tags.take("mlflow.user") or run.info.user_id
    host = tags.take("cairn.host")
    sections = [_source(tags, run_id), _environment(tags, run_id), _hardware(tags)]
    seeds = tags.take_prefix("cairn.seed.")
    sections.append(
        Section("Seeds", [Fact(k.removeprefix("cairn.seed."), v) for k, v in seeds.items()])
    )
    imported = tags.take_prefix("cairn.import.")
    sections.append(
        Section(
            "Imported",
            [Fact(k.removeprefix("cairn.import."), v, mono=True) for k, v in imported.items()],
        )
    )
    return Overview(user, host, [s for s in sections if s.facts], tags.left)


def _source(tags: _Reader, run_id: str) -> Section:
    commit = tags.take("cairn.source.git.commit")
    remote = tags.take("cairn.source.git.remote")
    dirty = tags.take("cairn.source.git.dirty")
    diff_hash = tags.take("cairn.source.git.diff_hash")
    changes = None
    if dirty == "true":
        changes = Fact(
            "Uncommitted changes",
            "yes: view the diff" if diff_hash else "yes (no diff recorded)",
            href=artifacts_link(run_id, DIFF_ARTIFACT) if diff_hash else None,
        )
    elif dirty == "false":
        changes = Fact("Uncommitted changes", "none")
    return Section(
        "Source",
        _facts(
            _fact("Type", tags.take("cairn.source.type")),
            _fact("Entry point", tags.take("cairn.source.name"), mono=True),
            _fact("Notebook", tags.take("cairn.source.notebook.path"), mono=True),
            _fact("Command", tags.take("cairn.source.command"), mono=True),
            _fact("Commit", commit, href=commit_url(remote, commit), mono=True),
            _fact("Branch", tags.take("cairn.source.git.branch"), mono=True),
            _fact("Remote", remote, mono=True),
            changes,
        ),
    )


def _environment(tags: _Reader, run_id: str) -> Section:
    python = " ".join(
        filter(None, [tags.take("cairn.python.implementation"), tags.take("cairn.python.version")])
    )
    env_hash = tags.take("cairn.environment.hash")
    packages = None
    if env_hash:
        packages = Fact(
            "Packages",
            f"requirements.txt ({env_hash[:19]})",
            href=artifacts_link(run_id, REQUIREMENTS_ARTIFACT),
        )
    return Section(
        "Environment",
        _facts(_fact("Python", python), _fact("OS", tags.take("cairn.os")), packages),
    )


def _hardware(tags: _Reader) -> Section:
    memory = tags.take("cairn.hardware.memory_gb")
    gpu_memory = tags.take("cairn.hardware.gpu.memory_gb")
    cores = tags.take("cairn.hardware.cores")
    physical = tags.take("cairn.hardware.physical_cores")
    core_text = (
        f"{cores} logical" + (f", {physical} physical" if physical else "") if cores else None
    )
    env = tags.take_prefix("cairn.hardware.env.")
    return Section(
        "Hardware",
        _facts(
            _fact("CPU", tags.take("cairn.hardware.cpu")),
            _fact("Cores", core_text),
            _fact("Memory", f"{memory} GB" if memory else None),
            _fact("GPUs", tags.take("cairn.hardware.gpu.count")),
            _fact("GPU models", tags.take("cairn.hardware.gpu.names")),
            _fact("GPU memory", f"{gpu_memory} GB" if gpu_memory else None),
            _fact("GPU driver", tags.take("cairn.hardware.gpu.driver")),
            *(Fact(k.removeprefix("cairn.hardware.env."), v, mono=True) for k, v in env.items()),
        ),
    )
