"""The OpenAPI document fuzzed with schemathesis: no request, however odd, gets a 5xx.

Every operation of the document (native API, MLflow-compatible API, artifact proxy) is
called over HTTP on a live server with generated paths, queries and bodies.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from cairn.server import ServerSettings, create_app
from cairn.server.live import LiveServer

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_dict(create_app(ServerSettings("sqlite://")).openapi())


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    settings_ = ServerSettings(f"sqlite:///{folder}/fuzz.db", str(folder / "artifacts"))
    with LiveServer(settings_) as server:
        yield server.url


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, server_url):
    response = case.call(base_url=server_url, timeout=30)
    case.validate_response(response, checks=[not_a_server_error])
