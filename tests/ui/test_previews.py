"""Artifact previews and description markdown, on real files (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.local import LocalFileSystem

from cairn.ui import previews
from cairn.ui.markdown import is_safe_url, render_markdown
from cairn.ui.previews import build_preview, cell, kind_of, raw_media_type

FS = LocalFileSystem()


def preview_of(path: Path, rel: str | None = None) -> previews.Preview:
    return build_preview(FS, str(path), rel or path.name, path.stat().st_size)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("notes.txt", "text"),
        ("train.log", "text"),
        ("README", "text"),
        ("metrics.json", "json"),
        ("config.YAML", "yaml"),
        ("params.yml", "yaml"),
        ("model/MLmodel", "yaml"),
        ("plots/loss.png", "image"),
        ("a.JPG", "image"),
        ("anim.gif", "image"),
        ("diagram.svg", "image"),
        ("report.html", "html"),
        ("data.csv", "table"),
        ("data.tsv", "table"),
        ("data.parquet", "table"),
    ],
)
def test_the_kind_follows_the_file_name(name, kind):
    assert kind_of(name) == kind


def test_only_images_and_html_have_a_raw_media_type():
    assert raw_media_type("x.svg") == "image/svg+xml"
    assert raw_media_type("x.png") == "image/png"
    assert raw_media_type("r.htm").startswith("text/html")
    assert raw_media_type("x.js") is None
    assert raw_media_type("x.txt") is None


def test_json_is_pretty_printed(tmp_path):
    path = tmp_path / "m.json"
    path.write_text('{"b": [1, 2], "a": {"x": "é"}}')
    shown = preview_of(path)
    assert shown.kind == "json"
    assert json.loads(shown.text) == {"b": [1, 2], "a": {"x": "é"}}
    assert shown.text.startswith('{\n  "b": [\n    1,')


def test_invalid_json_is_shown_as_text_with_the_reason(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"a": ')
    shown = preview_of(path)
    assert (shown.kind, shown.text) == ("text", '{"a": ')
    assert shown.notes[0].startswith("not valid JSON")


def test_yaml_keeps_its_comments_and_bad_yaml_says_why(tmp_path):
    good = tmp_path / "c.yaml"
    good.write_text("# learning setup\nlr: 0.1\nlayers: [64, 32]\n")
    shown = preview_of(good)
    assert shown.kind == "yaml" and "# learning setup" in shown.text
    bad = tmp_path / "b.yaml"
    bad.write_text("a: [1, 2\n")
    shown = preview_of(bad)
    assert shown.kind == "text" and shown.notes[0].startswith("not valid YAML")


def test_text_too_large_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(previews, "TEXT_LIMIT", 10)
    path = tmp_path / "big.log"
    path.write_text("x" * 11)
    shown = preview_of(path)
    assert shown.kind == "too_large" and shown.text is None and shown.size == 11


def test_binary_files_are_recognised(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\x00\x01\x02" * 10)
    assert preview_of(path).kind == "binary"


def test_images_and_html_are_not_read_and_large_ones_are_refused(tmp_path, monkeypatch):
    image = tmp_path / "p.png"
    image.write_bytes(b"\x89PNG not really")
    assert preview_of(image).kind == "image"
    page = tmp_path / "r.html"
    page.write_text("<p>hi</p>")
    assert preview_of(page).kind == "html"
    monkeypatch.setattr(previews, "MEDIA_LIMIT", 5)
    assert preview_of(image).kind == "too_large"


def test_csv_becomes_a_table_with_types(tmp_path):
    path = tmp_path / "d.csv"
    rows = "\n".join(f"{i},{i / 2},name{i}," for i in range(250))
    path.write_text("id,score,name,empty\n" + rows + "\n")
    shown = preview_of(path)
    assert shown.kind == "table"
    assert shown.table.columns == [
        ("id", "int64"),
        ("score", "float64"),
        ("name", "str"),
        ("empty", "float64"),
    ]
    assert len(shown.table.rows) == previews.TABLE_ROWS
    assert shown.table.rows[3] == ["3", "1.5", "name3", None]


def test_a_large_csv_is_read_only_from_its_head(tmp_path, monkeypatch):
    monkeypatch.setattr(previews, "TABLE_HEAD_BYTES", 64)
    path = tmp_path / "d.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i}\n" for i in range(1000)))
    shown = preview_of(path)
    assert shown.kind == "table"
    assert 0 < len(shown.table.rows) < 30
    assert shown.table.rows[-1][0] == shown.table.rows[-1][1]  # no half line at the end
    assert "first" in shown.notes[0]


def test_tsv_uses_tabs(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("a\tb\n1\tx\n")
    assert preview_of(path).table.rows == [["1", "x"]]


def test_parquet_becomes_a_table_with_arrow_types(tmp_path):
    path = tmp_path / "d.parquet"
    table = pa.table(
        {
            "id": list(range(300)),
            "label": [f"l{i}" for i in range(300)],
            "score": [None if i % 7 == 0 else i / 3 for i in range(300)],
            "tags": [[i, i + 1] for i in range(300)],
        }
    )
    pq.write_table(table, path, row_group_size=50)
    shown = preview_of(path)
    assert shown.kind == "table"
    assert shown.table.columns == [
        ("id", "int64"),
        ("label", "string"),
        ("score", "double"),
        ("tags", "list<element: int64>"),
    ]
    assert shown.table.total_rows == 300
    assert len(shown.table.rows) == previews.TABLE_ROWS
    assert shown.table.rows[0] == ["0", "l0", None, "[0, 1]"]


def test_a_broken_parquet_file_says_so(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    shown = preview_of(path)
    assert shown.kind == "binary"
    assert shown.notes[0].startswith("not a readable parquet file")


def test_cells_are_text_cut_short():
    assert cell(None) is None
    assert cell(float("nan")) is None
    assert cell({"a": 1}) == '{"a": 1}'
    assert cell(b"\x01\xff") == "01ff"
    long = cell("x" * 500)
    assert len(long) == previews.CELL_CHARS and long.endswith("…")


# -- markdown ---------------------------------------------------------------------------------


def test_markdown_renders_and_escapes_raw_html():
    html = render_markdown("# Title\n\n**bold** <script>alert(1)</script> <b onclick=x>b</b>")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b onclick" not in html


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "/relative/path",
        "//evil.example/x",
        "mailto:a@b.c",
        "file:///etc/passwd",
    ],
)
def test_markdown_links_other_than_http_stay_text(target):
    html = render_markdown(f"[click]({target}) ![img]({target})")
    assert "<a " not in html and "<img" not in html


def test_markdown_http_links_open_safely():
    html = render_markdown("[docs](https://example.org/a?b=1&c=2) ![p](http://example.org/p.png)")
    assert (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer" '
        'target="_blank">docs</a>'
    ) in html
    assert '<img src="http://example.org/p.png" alt="p"' in html


def test_markdown_tables_render():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in html and "<td>2</td>" in html


def test_safe_urls_need_a_host_and_no_control_characters():
    assert is_safe_url("https://example.org")
    assert not is_safe_url("https://")
    assert not is_safe_url("http://exa\nmple.org")
    assert not is_safe_url("http://[::1")  # unparsable
