"""``cairn models serve`` as a real uvicorn process: the endpoints, every payload form, one
test per bad payload shape, and a model that raises."""

from __future__ import annotations

import json

import httpx
import pytest

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def server(serve, scorer_folder):
    return serve(str(scorer_folder), "--max-body-bytes", "4096")


def _post(server, body, headers=JSON) -> httpx.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return httpx.post(f"{server.url}/invocations", content=content, headers=headers, timeout=30)


def test_ping_health_version_metadata(server, scorer_folder):
    assert httpx.get(f"{server.url}/ping").status_code == 200
    assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
    version = httpx.get(f"{server.url}/version").json()
    assert version["cairn_version"]
    assert version["model_uri"] == str(scorer_folder)
    meta = httpx.get(f"{server.url}/metadata").json()
    assert meta["input_columns"] == ["x", "n"]
    assert [c["name"] for c in meta["signature"]["inputs"]] == ["x", "n"]
    assert meta["model_uuid"] and "python_function" in meta["flavors"]


@pytest.mark.parametrize(
    "body",
    [
        {"dataframe_split": {"columns": ["x", "n"], "data": [[1.5, 1], [2.0, 2]]}},
        {"dataframe_records": [{"x": 1.5, "n": 1}, {"x": 2.0, "n": 2}]},
        {"instances": [{"x": 1.5, "n": 1}, {"x": 2.0, "n": 2}]},
        {"inputs": {"x": [1.5, 2.0], "n": [1, 2]}},
        "x,n\n1.5,1\n2.0,2\n",
    ],
    ids=["split", "records", "instances", "inputs", "csv"],
)
def test_every_payload_form_predicts(server, body):
    headers = {"content-type": "text/csv"} if isinstance(body, str) else JSON
    answer = _post(server, body, headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"predictions": [4.0, 6.0]}
    assert len(answer.headers["x-request-id"]) == 32


def test_params_reach_the_model(server):
    body = {"dataframe_records": [{"x": 1.0, "n": 1}], "params": {"scale": 10.0}}
    answer = _post(server, body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"predictions": [30.0]}


def test_the_client_request_id_is_echoed(server):
    body = {"dataframe_records": [{"x": 1.0, "n": 1}]}
    answer = _post(server, body, {**JSON, "x-request-id": "req-42"})
    assert answer.headers["x-request-id"] == "req-42"


def _bad(server, body, headers=JSON) -> str:
    answer = _post(server, body, headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "BAD_REQUEST"
    assert answer.headers["x-request-id"]
    return str(answer.json()["message"])


def test_bad_json_is_400(server):
    assert "not valid JSON" in _bad(server, b'{"dataframe_records": [')


def test_wrong_key_is_400(server):
    assert "unknown key 'records'" in _bad(server, {"records": [{"x": 1.0, "n": 1}]})


def test_missing_column_is_400(server):
    message = _bad(server, {"dataframe_records": [{"x": 1.0}]})
    assert "'n'" in message and "missing" in message


def test_wrong_type_is_400(server):
    message = _bad(server, {"dataframe_records": [{"x": "abc", "n": 1}]})
    assert "column 'x'" in message and "string" in message


def test_empty_body_is_400(server):
    assert "the request body is empty" in _bad(server, b"")


def test_body_over_the_limit_is_400(server):
    rows = [{"x": 1.0, "n": 1}] * 500
    assert "limit of 4096 bytes" in _bad(server, {"dataframe_records": rows})


def test_a_chunked_body_over_the_limit_is_400(server):
    def pieces():
        yield b'{"dataframe_records": ['
        for _ in range(400):
            yield b'{"x": 1.0, "n": 1},'
        yield b'{"x": 1.0, "n": 1}]}'

    answer = httpx.post(f"{server.url}/invocations", content=pieces(), headers=JSON, timeout=30)
    assert answer.status_code == 400
    assert "larger than the limit of 4096 bytes" in answer.json()["message"]


def test_array_of_the_wrong_width_is_400(server):
    assert "expects 2 columns (x, n)" in _bad(server, {"instances": [[1.0, 2, 3]]})


def test_a_plain_array_gets_the_signature_columns(server):
    answer = _post(server, {"inputs": [[1.5, 1], [2.0, 2]]})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"predictions": [4.0, 6.0]}


def test_an_exception_in_predict_is_500_and_the_worker_goes_on(server):
    answer = _post(server, {"dataframe_records": [{"x": 13.0, "n": 1}]})
    assert answer.status_code == 500
    assert answer.json() == {
        "error_code": "INTERNAL_ERROR",
        "message": "the model failed: ValueError: unlucky input x=13",
    }
    after = _post(server, {"dataframe_records": [{"x": 1.0, "n": 1}]})
    assert after.status_code == 200
    assert after.json() == {"predictions": [3.0]}


def test_unknown_route_and_method(server):
    wrong = httpx.get(f"{server.url}/invocations")
    assert wrong.status_code == 405
    assert wrong.json() == {
        "error_code": "METHOD_NOT_ALLOWED",
        "message": "GET is not allowed here",
    }
    missing = httpx.get(f"{server.url}/nope")
    assert missing.status_code == 404
    assert missing.json() == {"error_code": "ENDPOINT_NOT_FOUND", "message": "no endpoint /nope"}


def test_every_answer_carries_a_request_id(server):
    for path in ("/ping", "/health", "/version", "/metadata", "/nope"):
        assert len(httpx.get(f"{server.url}{path}").headers["x-request-id"]) == 32
    sent = httpx.get(f"{server.url}/ping", headers={"x-request-id": "abc-1"})
    assert sent.headers["x-request-id"] == "abc-1"
    odd = httpx.get(f"{server.url}/ping", headers={"x-request-id": "a b\tc"})
    assert len(odd.headers["x-request-id"]) == 32


def test_two_workers_serve(serve, scorer_folder):
    server = serve(str(scorer_folder), "--workers", "2")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for _ in range(6):
            answer = http.post("/invocations", json={"inputs": {"x": [1.0], "n": [1]}})
            assert answer.json() == {"predictions": [3.0]}
