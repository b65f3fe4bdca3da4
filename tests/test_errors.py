"""One exception tree: codes, HTTP statuses, exit codes, builtin bases and round trips."""

from __future__ import annotations

import pytest

from cairn import errors


def test_every_error_derives_from_cairn_error_and_has_a_code():
    classes = [getattr(errors, name) for name in errors.__all__ if name[0].isupper()]
    for cls in classes:
        assert issubclass(cls, errors.CairnError)
        assert cls.code and 400 <= cls.http_status < 600 and cls.exit_code == 1


@pytest.mark.parametrize(
    ("cls", "builtin", "status"),
    [
        (errors.InvalidInput, ValueError, 400),
        (errors.InvalidKey, ValueError, 400),
        (errors.ParamOverwrite, ValueError, 400),
        (errors.NotFound, LookupError, 404),
        (errors.AlreadyExists, Exception, 409),
        (errors.StoreBusy, Exception, 503),
    ],
)
def test_errors_inherit_the_matching_builtin(cls, builtin, status):
    err = cls("x")
    assert isinstance(err, builtin) and err.http_status == status


def test_round_trip_over_the_wire():
    sent = errors.NotFound("no run has id 'abc'")
    received = errors.error_from_code(
        **{"code": sent.to_dict()["error_code"], "message": sent.message}
    )
    assert type(received) is errors.NotFound and received.message == sent.message
    assert type(errors.error_from_code("SOMETHING_NEW", "m")) is errors.CairnError


def test_invalid_filter_points_at_the_token():
    err = errors.InvalidFilter("unexpected 'AN'", "metrics.a > 1 AN b", position=14)
    assert str(err).splitlines()[-1] == "  " + " " * 14 + "^"


def test_did_you_mean():
    assert errors.did_you_mean("chrun", ["churn", "other"]) == " Did you mean 'churn'?"
    assert errors.did_you_mean("zzz", ["churn"]) == ""
