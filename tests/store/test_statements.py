"""The hot-path statements agree with the schema they were written for."""

from __future__ import annotations

from cairn.store.sql import run_statements as rs
from cairn.store.sql.chunks import CHUNK_COLUMNS


def test_run_row_fields_follow_the_selected_columns():
    assert rs.RunRow._fields == tuple(c.name for c in rs.RUN_COLUMNS)


def test_insert_column_lists_name_real_columns():
    from cairn.store.sql import schema as t

    for table, names in [
        (t.runs, rs.RUN_INSERT_COLUMNS),
        (t.params, rs.PARAM_COLUMNS),
        (t.latest_metrics, rs.LATEST_COLUMNS),
        (t.metric_chunks, CHUNK_COLUMNS),
        (t.spool_progress, rs.SPOOL_COLUMNS),
    ]:
        assert set(names) <= set(table.c.keys()), table.name
