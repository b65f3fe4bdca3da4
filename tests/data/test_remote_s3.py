"""Data remotes on S3, against moto's S3 server: push, pull, the one-request empty push, and
refused credentials or writes giving a clear error and no local change."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.data.test_remote_cli import clone_of, fails, git, ok, tree

from cairn.data.remote_index import RemoteIndex
from cairn.data.remote_layout import RemoteStorage

pytestmark = pytest.mark.s3

FILES = 150  # small files enough for a pull to fetch them into a local pack (PACK_FROM)


@pytest.fixture
def s3_env(s3_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto's server reached through the usual AWS environment variables (no profile)."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
    monkeypatch.setenv("AWS_DEFAULT_REGION", s3_server.region)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("CAIRN_S3_ENDPOINT_URL", s3_server.endpoint_url)
    return s3_server


@pytest.fixture
def s3_repo(cairn_project: Path, s3_env: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed repository with a folder and a big file, its default remote on S3."""
    bucket = s3_env.create_bucket(f"data-{secrets.token_hex(4)}")
    root = cairn_project / "repo"
    (root / "data" / "files").mkdir(parents=True)
    monkeypatch.chdir(root)
    git("init", "-q", "-b", "main", cwd=root)
    for i in range(FILES):
        (root / "data" / "files" / f"{i}.txt").write_bytes(os.urandom(100 + i))
    (root / "data" / "big.bin").write_bytes(os.urandom((1 << 20) + 17))
    ok("data", "add", "data/files", "data/big.bin")
    ok("data", "remote", "add", "s3", f"s3://{bucket}/project", "--default")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "v1", cwd=root)
    return root


def test_push_and_pull_through_s3(s3_repo):
    pushed = json.loads(ok("data", "push", "--json"))
    assert pushed["pushed"] == FILES + 1 + 1
    assert pushed["packs"] == 2  # the files, then the manifest: not FILES + 1 requests
    storage = RemoteStorage.open("s3", json.loads(ok("data", "remote", "list", "--json"))[0]["url"],
                                 s3_repo)  # fmt: skip
    assert len(RemoteIndex(storage).load()) == FILES + 2
    again = json.loads(ok("data", "push", "--json"))
    assert again["pushed"] == 0 and again["pushed_bytes"] == 0
    clone = clone_of(s3_repo)
    ok("data", "pull")
    assert tree(clone / "data") == tree(s3_repo / "data")
    packs = clone / ".cairn" / "cache" / "packs"
    assert len(list(packs.glob("*.pack"))) == 1  # the small files fetched into one local pack


def test_an_empty_push_and_status_cost_one_request(s3_repo):
    from cairn.data.sync import push, status_against_remote
    from cairn.data.workspace import Workspace

    ok("data", "push")
    ws = Workspace.find(s3_repo)
    try:
        assert push(ws).requests == 1
        assert status_against_remote(ws, None, ws.pointers()).requests == 1
    finally:
        ws.close()


@pytest.fixture
def enforced_auth(s3_env: Any) -> Iterator[Any]:
    """moto checks credentials from now on (restored afterwards): returns a helper that
    makes an IAM user allowed only ``actions`` and gives its keys."""
    import boto3

    iam = boto3.client("iam", endpoint_url=s3_env.endpoint_url, region_name=s3_env.region,
                       aws_access_key_id="x", aws_secret_access_key="x")  # fmt: skip
    created: dict[str, Any] = {}

    def user(actions: list[str]) -> tuple[str, str]:
        name = f"u{secrets.token_hex(3)}"
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        policy = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}  # fmt: skip
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        created[name] = key
        return key["AccessKeyId"], key["SecretAccessKey"]

    def enforce(after_actions: int = 0) -> None:
        httpx.post(f"{s3_env.endpoint_url}/moto-api/reset-auth", content=str(after_actions))

    yield user, enforce
    httpx.post(f"{s3_env.endpoint_url}/moto-api/reset-auth", content=b"inf")


def _local_state(root: Path) -> tuple[Any, ...]:
    cache = root / ".cairn" / "cache"
    return (
        tree(root / "data"),
        sorted(str(p) for p in cache.rglob("*")),
        (root / ".cairn" / "config.toml").read_bytes(),
    )


def test_bad_credentials_give_a_one_line_error_and_change_nothing(s3_repo, enforced_auth):
    _, enforce = enforced_auth
    before = _local_state(s3_repo)
    enforce(0)
    line = fails("data", "push")
    assert "was refused" in line and "credentials" in line and "s3://" in line
    assert _local_state(s3_repo) == before


def test_no_credentials_at_all(s3_repo, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    before = _local_state(s3_repo)
    line = fails("data", "push")
    assert "credentials" in line
    assert _local_state(s3_repo) == before


def test_a_read_only_bucket_refuses_the_push_and_a_fixed_one_takes_it(
    s3_repo, enforced_auth, monkeypatch
):
    user, enforce = enforced_auth
    key, secret = user(["s3:GetObject", "s3:ListBucket"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    enforce(0)
    before = _local_state(s3_repo)
    line = fails("data", "push")
    assert "was refused" in line and "Access Denied" in line
    assert _local_state(s3_repo) == before
    enforce(10**9)  # the bucket's owner allows writes again
    result = json.loads(ok("data", "push", "--json"))
    assert result["pushed"] == FILES + 2
    assert json.loads(ok("data", "status", "--remote", "--json"))["remote"]["in_sync"]
