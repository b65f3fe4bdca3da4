"""``cairn audit``: verify, log, export, sign, keygen; exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_support import seq_of, sql
from click.testing import CliRunner, Result

from cairn.audit import verify_lines
from cairn.cli import cli
from cairn.store.base import Store
from cairn.store.sql.audit import canonical_json, chain_hash, digest


def run(store: Store, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--tracking-uri", store.uri, "audit", *args])


def test_verify_exits_0_when_intact_and_1_with_the_first_broken_link(audited: Store) -> None:
    ok = run(audited, "verify")
    assert ok.exit_code == 0, ok.output
    assert "audit trail intact" in ok.output
    seq = seq_of(audited, "run.log_batch", 2)
    sql(audited, "DELETE FROM audit_events WHERE seq = :s", s=seq)
    broken = run(audited, "verify")
    assert broken.exit_code == 1
    assert f"tampering found: event(s) {seq} missing before {seq + 1}" in broken.output
    data = json.loads(run(audited, "verify", "--json").stdout)
    assert data["ok"] is False and data["findings"][0]["seq"] == seq + 1


def _keys(store: Store, folder: Path) -> tuple[Path, Path]:
    made = run(store, "keygen", "-o", str(folder))
    assert made.exit_code == 0, made.output
    private, public = folder / "audit_ed25519.pem", folder / "audit_ed25519.pub.pem"
    assert private.stat().st_mode & 0o077 == 0
    return private, public


def test_a_signed_head_verifies_with_its_key_only(audited: Store, tmp_path: Path) -> None:
    private, public = _keys(audited, tmp_path / "k1")
    _other_private, other_public = _keys(audited, tmp_path / "k2")
    signed = run(audited, "sign", "--key", str(private))
    assert signed.exit_code == 0, signed.output
    assert run(audited, "verify", "--key", str(public)).exit_code == 0
    other = run(audited, "verify", "--key", str(other_public))
    assert other.exit_code == 1
    assert "no head signature by the key" in other.output


def _rewrite_from(store: Store, seq: int, new_actor: str) -> None:
    """A careful forger: edit one event and recompute every hash after it and the head."""
    rows = sql(
        store,
        "SELECT seq, time, actor, action, entity, payload_hash, prev_hash FROM audit_events "
        "WHERE seq >= :s ORDER BY seq",
        s=seq,
    )
    prev = rows[0].prev_hash
    for row in rows:
        actor = new_actor if row.seq == seq else row.actor
        new = chain_hash(prev, row.seq, row.time, actor, row.action, row.entity, row.payload_hash)
        sql(
            store,
            "UPDATE audit_events SET actor = :a, prev_hash = :p, hash = :h WHERE seq = :s",
            a=actor,
            p=prev,
            h=new,
            s=row.seq,
        )
        prev = new
    sql(store, "UPDATE audit_head SET hash = :h WHERE id = 1", h=prev)


def test_a_rewritten_chain_passes_alone_but_fails_the_signature(
    audited: Store, tmp_path: Path
) -> None:
    private, public = _keys(audited, tmp_path / "k")
    assert run(audited, "sign", "--key", str(private)).exit_code == 0
    _rewrite_from(audited, seq_of(audited, "run.create"), "mallory")
    assert run(audited, "verify").exit_code == 0  # consistent, so only the signature can tell
    caught = run(audited, "verify", "--key", str(public))
    assert caught.exit_code == 1
    assert "history up to it was rewritten" in caught.output


def test_an_edited_signature_row_fails(audited: Store, tmp_path: Path) -> None:
    private, public = _keys(audited, tmp_path / "k")
    assert run(audited, "sign", "--key", str(private)).exit_code == 0
    sql(audited, "UPDATE audit_signatures SET seq = seq - 1, hash = :h", h="e" * 64)
    caught = run(audited, "verify", "--key", str(public))
    assert caught.exit_code == 1
    assert "does not verify with this key" in caught.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("verify", "--key", "/nonexistent/key.pem"), "public key file /nonexistent/key.pem"),
        (("sign", "--key", "/nonexistent/key.pem"), "private key file /nonexistent/key.pem"),
        (("log", "--since", "yesterday-ish"), "--since 'yesterday-ish' is neither"),
        (("verify", "--file", "/nonexistent/export.jsonl"), "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    audited: Store, args: tuple[str, ...], words: str
) -> None:
    result = run(audited, *args)
    assert result.exit_code == 2, result.output
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_key_that_is_not_a_key_and_keygen_over_existing_keys_exit_2(
    audited: Store, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    assert run(audited, "verify", "--key", str(junk)).exit_code == 2
    _keys(audited, tmp_path / "k")
    again = run(audited, "keygen", "-o", str(tmp_path / "k"))
    assert again.exit_code == 2 and "exists" in again.stderr


def test_export_reverifies_without_the_database(audited: Store, tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    assert run(audited, "export", "-o", str(out)).exit_code == 0
    lines = out.read_text().splitlines()
    assert len(lines) == audited.audit.head()[0]
    first = json.loads(lines[0])
    assert digest(canonical_json(first["payload"])) == first["payload_hash"]
    assert verify_lines(lines) == []
    assert run(audited, "verify", "--file", str(out)).exit_code == 0
    batch = next(json.loads(line) for line in lines if '"run.log_batch"' in line)
    assert batch["payload"]["metrics"], "metric batches carry their points"
    tampered = [line.replace('"ann"', '"mallory"') for line in lines]
    assert [f.kind for f in verify_lines(tampered)] == ["payload"]
    (tmp_path / "bad.jsonl").write_text("\n".join(tampered))
    assert run(audited, "verify", "--file", str(tmp_path / "bad.jsonl")).exit_code == 1


def test_log_filters_by_entity_and_time(audited: Store) -> None:
    run_id = audited.run_id  # type: ignore[attr-defined]
    everything = json.loads(run(audited, "log", "--limit", "1000", "--json").stdout)
    assert [e["seq"] for e in everything] == list(range(1, audited.audit.head()[0] + 1))
    mine = json.loads(run(audited, "log", "--entity", f"run:{run_id}", "--json").stdout)
    assert mine and {e["entity"] for e in mine} == {f"run:{run_id}"}
    last = everything[-1]
    since = json.loads(run(audited, "log", "--since", str(last["time"]), "--json").stdout)
    assert since and all(e["time"] >= last["time"] for e in since)
    iso = run(audited, "log", "--since", last["time_iso"], "--limit", "2")
    assert iso.exit_code == 0 and "run.update" in iso.output
    newest = json.loads(run(audited, "log", "--limit", "3", "--json").stdout)
    assert [e["seq"] for e in newest] == [e["seq"] for e in everything[-3:]]


def test_help_documents_exit_codes() -> None:
    assert (
        "0 intact, 1 tampering found, 2 bad input"
        in CliRunner().invoke(cli, ["audit", "verify", "--help"]).output
    )


def test_signing_is_recorded_and_later_events_keep_it_valid(audited: Store, tmp_path: Path) -> None:
    private, public = _keys(audited, tmp_path / "k")
    head_seq, head_hash = audited.audit.head()
    assert run(audited, "sign", "--key", str(private)).exit_code == 0
    (signature,) = audited.audit.signatures()
    assert (signature.seq, signature.hash) == (head_seq, head_hash)
    assert audited.audit.list_events(after_seq=head_seq)[0].action == "audit.sign"
    audited.runs.create_run("0", run_name="later")
    assert run(audited, "verify", "--key", str(public)).exit_code == 0
