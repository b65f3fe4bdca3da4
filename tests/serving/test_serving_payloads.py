"""``/invocations`` bodies: MLflow's four JSON forms and CSV, and every way they go wrong."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cairn.serving.payloads import BadPayload, parse_payload, to_jsonable

FRAME = pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"]})


def _json(document: object) -> bytes:
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    "document",
    [
        {"dataframe_split": {"columns": ["x", "name"], "data": [[1.0, "a"], [2.0, "b"]]}},
        {"dataframe_records": [{"x": 1.0, "name": "a"}, {"x": 2.0, "name": "b"}]},
        {"instances": [{"x": 1.0, "name": "a"}, {"x": 2.0, "name": "b"}]},
        {"inputs": {"x": [1.0, 2.0], "name": ["a", "b"]}},
    ],
    ids=["split", "records", "instances-rows", "inputs-columns"],
)
def test_json_forms_make_the_same_frame(document):
    payload = parse_payload(_json(document), "application/json")
    pd.testing.assert_frame_equal(payload.data, FRAME)
    assert payload.params is None


def test_split_keeps_the_index_and_params_pass_through():
    body = {
        "dataframe_split": {"index": [7, 8], "columns": ["x"], "data": [[1], [2]]},
        "params": {"threshold": 0.5},
    }
    payload = parse_payload(_json(body), "application/json; charset=utf-8")
    assert list(payload.data.index) == [7, 8]
    assert payload.params == {"threshold": 0.5}


def test_instances_of_numbers_are_an_array():
    payload = parse_payload(_json({"instances": [[1, 2], [3, 4]]}), "application/json")
    assert isinstance(payload.data, np.ndarray)
    assert payload.data.shape == (2, 2)


def test_one_object_of_scalars_is_one_row():
    payload = parse_payload(_json({"inputs": {"x": 1.0, "name": "a"}}), None)
    assert payload.data.to_dict(orient="records") == [{"x": 1.0, "name": "a"}]


def test_csv_body():
    payload = parse_payload(b"x,name\n1.0,a\n2.0,b\n", "text/csv")
    pd.testing.assert_frame_equal(payload.data, FRAME)
    assert payload.fmt == "csv"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "application/json", "the request body is empty"),
        (b"   \n", "application/json", "the request body is empty"),
        (b"{not json", "application/json", "the body is not valid JSON"),
        (b"[1, 2]", "application/json", "got a list"),
        (_json({"dataframe_splitt": {}}), None, "unknown key 'dataframe_splitt'"),
        (_json({"params": {}}), None, "exactly one of"),
        (_json({"instances": [1], "inputs": [1]}), None, "got instances and inputs"),
        (_json({"inputs": [1], "params": [1]}), None, "'params' must be an object"),
        (_json({"dataframe_split": [[1]]}), None, "must be an object with 'columns'"),
        (_json({"dataframe_split": {"data": 3}}), None, "needs 'data'"),
        (_json({"dataframe_split": {"data": [[1]], "cols": []}}), None, "unknown key 'cols'"),
        (_json({"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}), None, "2 values"),
        (_json({"dataframe_split": {"columns": ["a"], "data": [3]}}), None, "row 0"),
        (_json({"dataframe_records": {"a": 1}}), None, "list of objects"),
        (_json({"inputs": [[1, 2], [3]]}), None, "rectangular"),
        (_json({"inputs": {"a": [1, 2], "b": [1]}}), None, "different lengths"),
        (_json({"inputs": {"a": [1, 2], "b": 1}}), None, "mixes list and single"),
        (_json({"inputs": "text"}), None, "list of rows or an object"),
        (b"x\n1\n", "application/xml", "content type 'application/xml' is not supported"),
        (b"\xff\xfe\x00", "text/csv", "not a CSV table"),
    ],
)
def test_bad_bodies_name_the_problem(body, content_type, message):
    with pytest.raises(BadPayload) as caught:
        parse_payload(body, content_type)
    assert message in str(caught.value)


def test_a_close_key_gets_a_suggestion():
    with pytest.raises(BadPayload, match="Did you mean 'dataframe_records'"):
        parse_payload(_json({"dataframe_record": []}), None)


def test_answers_become_plain_json():
    frame = pd.DataFrame({"p": [0.5, np.nan]})
    assert to_jsonable(frame) == [{"p": 0.5}, {"p": None}]
    assert to_jsonable(pd.Series([1, 2])) == [1, 2]
    assert to_jsonable(np.array([[1.5, np.inf]])) == [[1.5, None]]
    assert to_jsonable({"a": np.array([1])}) == {"a": [1]}
    assert to_jsonable(np.int64(3)) == 3
    json.dumps(to_jsonable(np.array(["a", "b"], dtype=object)))
