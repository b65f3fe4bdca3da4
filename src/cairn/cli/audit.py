"""``cairn audit``: verify, read, export and sign the hash-chained audit trail.

Thin over :mod:`cairn.audit`. Exit codes: 0 the trail is intact, 1 tampering was found,
2 bad input (a missing or malformed key or file, a malformed option, a store that cannot be
checked from here).
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from cairn.cli import SuggestingGroup, get_client, output
from cairn.cli.experiments import json_option
from cairn.errors import AlreadyExists, InvalidInput, InvalidState

EXIT_CODES = "Exit codes: 0 intact, 1 tampering found, 2 bad input."


def _bad_input_exits_2(command: Callable[..., Any]) -> Callable[..., Any]:
    """Report bad input as one line on stderr and exit 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (InvalidInput, AlreadyExists, InvalidState) as err:
            output.error(err.message)
            raise SystemExit(2) from None

    return wrapper


def _since_ms(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        output.error(f"--since {value!r} is neither epoch milliseconds nor an ISO 8601 time")
        raise SystemExit(2) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return int(moment.timestamp() * 1000)


@click.group(cls=SuggestingGroup, epilog=EXIT_CODES)
def audit() -> None:
    """Verify, read, export and sign the audit trail."""


@audit.command("verify", epilog=EXIT_CODES)
@click.option(
    "--key",
    "key",
    type=click.Path(dir_okay=False),
    help="Public key (PEM) to check the head signature with.",
)
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False),
    help="Re-verify an export (JSON lines) instead of the store.",
)
@json_option
@_bad_input_exits_2
def verify_command(key: str | None, file: str | None, as_json: bool) -> None:
    """Recompute the hash chain and compare run rows with it; report the first broken link."""
    if file is not None:
        from cairn.audit import verify_lines

        try:
            with open(file, encoding="utf-8") as lines:
                findings = verify_lines(lines)
        except OSError as err:
            raise InvalidInput(f"cannot read {file}: {err.strerror}") from None
        rows = [{"seq": f.seq, "kind": f.kind, "message": f.message} for f in findings]
        data = {"ok": not findings, "findings": rows}
        _finish(data, as_json)
        return
    from cairn.audit import verify

    report = verify(get_client().store, key)
    _finish(report.to_dict(), as_json)


def _finish(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        output.print_json(data)
    elif data["ok"]:
        head = data.get("head")
        where = (
            f" ({data['events']} events, head {head['seq']} {head['hash'][:12]})" if head else ""
        )
        signed = ", head signature valid" if data.get("signature_checked") else ""
        output.say(f"audit trail intact{where}{signed}")
    else:
        first, rest = data["findings"][0], len(data["findings"]) - 1
        output.error(f"tampering found: {first['message']}")
        for finding in data["findings"][1:10]:
            output.note(f"  also: {finding['message']}")
        if rest > 9:
            output.note(f"  ... and {rest - 9} more")
    if not data["ok"]:
        raise SystemExit(1)


@audit.command("log")
@click.option(
    "--entity", help="Only events of this entity, e.g. run:<id> or registered_model:<name>."
)
@click.option(
    "--since", callback=_since_ms, help="Only events at or after this time (ISO 8601 or epoch ms)."
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="At most this many events (the newest, without --since).",
)
@json_option
def log_command(entity: str | None, since: int | None, limit: int, as_json: bool) -> None:
    """List audit events, oldest first."""
    repo = get_client().store.audit
    picked: collections.deque[Any] = collections.deque(maxlen=None if since else limit)
    after = 0
    if since is None and entity is None:
        after = max(0, repo.head()[0] - limit)
    while True:
        page = repo.list_events(after_seq=after, limit=1000, entity=entity)
        for event in page:
            if since is None or event.time >= since:
                picked.append(event)
        if len(page) < 1000 or (since is not None and len(picked) >= limit):
            break
        after = page[-1].seq
    events = list(picked)[:limit] if since is not None else list(picked)
    if as_json:
        output.print_json([dict(_event_dict(e)) for e in events])
        return
    grid = output.table("seq", "time", "actor", "action", "entity", "hash")
    for e in events:
        grid.add_row(
            str(e.seq),
            output.iso_local(e.time),
            output.esc(e.actor),
            output.esc(e.action),
            output.esc(e.entity),
            e.hash[:12],
        )
    output.show(grid)


def _event_dict(event: Any) -> dict[str, Any]:
    return {
        "seq": event.seq, "time": event.time, "time_iso": output.iso_utc(event.time),
        "actor": event.actor, "action": event.action, "entity": event.entity,
        "payload_hash": event.payload_hash, "prev_hash": event.prev_hash, "hash": event.hash,
    }  # fmt: skip


@audit.command("export")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file (default: stdout).",
)
@_bad_input_exits_2
def export_command(out: str | None) -> None:
    """Every event as JSON lines, with full payloads and hashes, for re-verification elsewhere."""
    from cairn.audit import export_lines

    lines = export_lines(get_client().store)
    if out is None:
        for line in lines:
            click.echo(line)
        return
    count = 0
    with open(out, "w", encoding="utf-8") as stream:
        for line in lines:
            stream.write(line + "\n")
            count += 1
    output.note(f"exported {count} events to {out}")


@audit.command("sign", epilog=EXIT_CODES)
@click.option(
    "--key",
    "key",
    required=True,
    type=click.Path(dir_okay=False),
    help="Private key (PEM) made by `cairn audit keygen`.",
)
@_bad_input_exits_2
def sign_command(key: str) -> None:
    """Sign the chain head (seq, hash) with an Ed25519 key and store the signature."""
    from cairn.audit import sign_head

    signed = sign_head(get_client().store, key)
    output.say(f"signed head {signed.seq} {signed.hash[:12]} with key {signed.public_key[:16]}")


@audit.command("keygen")
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the key pair.",
)
@_bad_input_exits_2
def keygen_command(out: str) -> None:
    """Write a new Ed25519 key pair (private key readable by you only)."""
    from cairn.audit import keygen

    private, public = keygen(out)
    output.say(f"private key: {private}\npublic key:  {public}")
