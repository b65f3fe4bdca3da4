"""The project's sensitive-data policy and its enforcement where data enters cairn.

``[security] sensitive_data`` in ``.cairn/config.toml`` (or ``[tool.cairn.security]`` in
``pyproject.toml``), overridden by ``CAIRN_SENSITIVE_DATA``: ``warn`` (the default) emits a
:class:`SensitiveDataWarning`, ``block`` raises :class:`~cairn.errors.SensitiveData` before
anything is stored, ``off`` skips the scan.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from cairn.config import find_project_root, project_config
from cairn.errors import ConfigError, InvalidInput, SensitiveData
from cairn.security.columns import read_columns
from cairn.security.report import Finding, ScanReport, scan_columns

if TYPE_CHECKING:
    import pandas as pd

POLICIES = ("warn", "block", "off")
ENV = "CAIRN_SENSITIVE_DATA"
# What a hook reads of a file: the first rows only, so logging a big table stays fast.
HOOK_ROWS = 10_000
HOOK_SAMPLE = 2_000


class SensitiveDataWarning(UserWarning):
    """Sensitive columns were logged while the project's policy is ``warn``."""


def policy(root: Path | None = None) -> str:
    """The policy in force: ``CAIRN_SENSITIVE_DATA`` > project config > ``"warn"``."""
    value = os.environ.get(ENV)
    where = f"the environment variable {ENV}"
    if value is None:
        section = project_config(root or find_project_root()).get("security", {})
        value = section.get("sensitive_data", "warn") if isinstance(section, dict) else "warn"
        where = "[security] sensitive_data in the project config"
    value = str(value).strip().lower()
    if value not in POLICIES:
        raise ConfigError(f"{where} is {value!r}; allowed: {', '.join(POLICIES)}")
    return value


def enforce(report: ScanReport, where: str, *, mode: str | None = None) -> ScanReport:
    """Apply the policy to ``report`` of data entering ``where`` (e.g. "artifact data.csv")."""
    mode = mode or policy()
    if mode not in POLICIES:
        raise InvalidInput(f"mode={mode!r} is not a policy; allowed: {', '.join(POLICIES)}")
    if mode == "off" or not report.sensitive:
        return report
    found = report.summary()
    if mode == "block":
        raise SensitiveData(
            f"{where} holds sensitive columns: {found}. Nothing was stored. Redact them first "
            "(cairn.security.redact(df, report) or `cairn data scan PATH --redact hash -o OUT`), "
            f'or change the policy ([security] sensitive_data = "warn" or "off" in '
            f".cairn/config.toml, or {ENV}=warn)"
        )
    warnings.warn(
        f"{where} holds sensitive columns: {found} (policy 'warn'; set "
        f'[security] sensitive_data = "block" to refuse such data)',
        SensitiveDataWarning,
        stacklevel=3,
    )
    return report


def check_frame(df: pd.DataFrame, where: str) -> ScanReport | None:
    """Scan a DataFrame about to be logged and apply the policy (nothing when ``off``)."""
    from cairn.security.scan import scan_frame

    mode = policy()
    if mode == "off":
        return None
    return enforce(scan_frame(df, sample=HOOK_SAMPLE), where, mode=mode)


def _unreadable(err: InvalidInput, where: str, mode: str) -> None:
    """A table the hook cannot read: refused under ``block`` (it cannot be checked), else a
    warning."""
    if mode == "block":
        raise SensitiveData(
            f"{where}: {err.message}, so it cannot be checked for sensitive data and the "
            f"policy is 'block'. Fix the file, or set {ENV}=warn to log it unchecked"
        )
    warnings.warn(f"{where} was not scanned for sensitive data: {err.message}",
                  SensitiveDataWarning, stacklevel=4)  # fmt: skip


def check_files(target: Path, files: list[Path], where: str) -> ScanReport | None:
    """Scan the first rows of ``files`` (tables under ``target``) and apply the policy."""
    mode = policy(find_project_root(target if target.is_dir() else target.parent))
    if mode == "off":
        return None
    findings: list[Finding] = []
    rows = sampled = columns = 0
    for file in sorted(files):
        label = str(file.relative_to(target)) if target.is_dir() else None
        try:
            read, count = read_columns(file, max_rows=HOOK_ROWS, sample=HOOK_SAMPLE)
        except InvalidInput as err:
            _unreadable(err, where, mode)
            continue
        report = scan_columns(read, rows=count, file=label)
        findings += report.findings
        rows, sampled = rows + report.rows, sampled + report.sampled
        columns += report.scanned_columns
    combined = ScanReport(tuple(findings), rows, sampled, columns, tuple(map(str, files)))
    return enforce(combined, where, mode=mode)
