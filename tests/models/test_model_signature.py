"""Signatures: inference from examples, the MLmodel JSON layout, and enforcement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cairn.errors import InvalidInput
from cairn.models.enforce import enforce_params
from cairn.models.signature import (
    ColSpec,
    ParamSchema,
    Schema,
    Signature,
    TensorSpec,
    enforce,
    infer_signature,
)


def _types(schema: Schema) -> list[tuple[str | None, str]]:
    return [(s.name, s.type) for s in schema.inputs]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        (
            pd.DataFrame({"age": [1, 2], "w": [0.5, 1.0], "name": ["a", "b"], "ok": [True, False]}),
            [("age", "long"), ("w", "double"), ("name", "string"), ("ok", "boolean")],
        ),
        (
            pd.DataFrame({"i": np.array([1], dtype="int32"), "f": np.array([1], dtype="float32")}),
            [("i", "integer"), ("f", "float")],
        ),
        ({"age": [1, 2], "name": ["a", "b"]}, [("age", "long"), ("name", "string")]),
        ([{"age": 1, "w": 2.5}, {"age": 3, "w": 1.0}], [("age", "long"), ("w", "double")]),
        (pd.DataFrame({"t": pd.to_datetime(["2024-01-01"])}), [("t", "datetime")]),
        (pd.DataFrame({"b": [b"x", b"y"]}), [("b", "binary")]),
    ],
)
def test_column_inference(example, expected):
    assert _types(infer_signature(example).inputs) == expected


def test_tensor_inference_and_outputs():
    signature = infer_signature(np.zeros((5, 3), dtype="float32"), np.array([1, 0, 1]))
    assert signature.inputs.inputs == [TensorSpec("float32", (-1, 3))]
    assert signature.outputs is not None
    assert signature.outputs.inputs == [TensorSpec("int64", (-1,))]
    series_out = infer_signature(pd.DataFrame({"a": [1]}), pd.Series([0.5], name="score"))
    assert _types(series_out.outputs) == [("score", "double")]  # type: ignore[arg-type]


def test_params_inferred_with_defaults():
    signature = infer_signature(pd.DataFrame({"a": [1]}), params={"k": 3, "tags": ["x"]})
    assert signature.params is not None
    assert [(p.name, p.type, p.default) for p in signature.params.params] == [
        ("k", "long", 3),
        ("tags", "string", ["x"]),
    ]


def test_json_round_trip_matches_mlflow_layout():
    signature = Signature(
        Schema([ColSpec("long", "age"), ColSpec("string", "city", required=False)]),
        Schema([TensorSpec("float64", (-1, 2))]),
        ParamSchema.from_json('[{"name": "k", "type": "long", "default": 1, "shape": null}]'),
    )
    data = signature.to_dict()
    assert isinstance(data["inputs"], str)
    assert '"name": "age"' in data["inputs"]
    assert '"tensor-spec"' in data["outputs"]
    assert Signature.from_dict(data) == signature


def test_bad_specs_are_rejected():
    with pytest.raises(InvalidInput, match="column type 'int'"):
        ColSpec("int", "a")
    with pytest.raises(InvalidInput, match="needs an 'inputs'"):
        Signature.from_dict({"outputs": "[]"})
    with pytest.raises(InvalidInput, match="mixes"):
        Schema([ColSpec("long", "a"), TensorSpec("float32", (-1,))])
    with pytest.raises(InvalidInput, match="no column type"):
        infer_signature(pd.DataFrame({"x": [object()]}))


SIG = Signature(
    Schema(
        [
            ColSpec("long", "age"),
            ColSpec("double", "income"),
            ColSpec("string", "city"),
            ColSpec("boolean", "member", required=False),
        ]
    )
)
GOOD = {"age": [30, 41], "income": [1.5, 2.0], "city": ["Oslo", "Lima"]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("age"), "input column 'age' is missing"),
        (
            lambda d: d.update(zzz=[1, 2]),
            "input has column 'zzz' the model's signature does not list",
        ),
        (
            lambda d: d.update(age=["30", "41"]),
            "column 'age' has type string, the model expects long (cannot convert safely)",
        ),
        (
            lambda d: d.update(age=[30.5, 41.0]),
            "column 'age' has type double, the model expects long (cannot convert safely)",
        ),
        (lambda d: d.update(age=[30, None]), "column 'age' has missing values"),
        (
            lambda d: d.update(city=[1, 2]),
            "column 'city' has type long, the model expects string (cannot convert safely)",
        ),
        (
            lambda d: d.update(member=["yes", "no"]),
            "column 'member' has type string, the model expects boolean",
        ),
    ],
)
def test_enforcement_errors_name_the_column(change, message):
    data = {k: list(v) for k, v in GOOD.items()}
    change(data)
    with pytest.raises(InvalidInput) as caught:
        enforce(SIG, pd.DataFrame(data))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_safe_conversions_happen():
    frame = pd.DataFrame(
        {
            "age": np.array([30, 41], dtype="int32"),
            "income": np.array([1, 2], dtype="int64"),
            "city": ["Oslo", "Lima"],
        }
    )
    out = enforce(SIG, frame)
    assert str(out["age"].dtype) == "int64"
    assert str(out["income"].dtype) == "float64"
    assert list(out.columns) == ["age", "income", "city"]
    float32 = Signature(Schema([ColSpec("double", "x")]))
    assert str(enforce(float32, pd.DataFrame({"x": np.ones(2, "float32")}))["x"].dtype) == "float64"
    # dicts and lists of dicts are read as tables; a missing optional column is fine
    assert len(enforce(SIG, GOOD)) == 2
    assert len(enforce(SIG, [{"age": 1, "income": 2.0, "city": "x", "member": True}])) == 1


def test_unsafe_float_narrowing_is_refused():
    narrow = Signature(Schema([ColSpec("float", "x")]))
    with pytest.raises(InvalidInput, match="column 'x' has type double, the model expects float"):
        enforce(narrow, pd.DataFrame({"x": [0.1]}))


def test_tensor_enforcement():
    signature = Signature(Schema([TensorSpec("float64", (-1, 3))]))
    out = enforce(signature, np.ones((2, 3), dtype="float32"))
    assert out.dtype == np.float64
    assert enforce(signature, pd.DataFrame(np.ones((4, 3)))).shape == (4, 3)
    with pytest.raises(InvalidInput, match=r"shape \(2, 4\), the model expects \(-1, 3\)"):
        enforce(signature, np.ones((2, 4)))
    ints = Signature(Schema([TensorSpec("int32", (-1,))]))
    with pytest.raises(InvalidInput, match="dtype float64, the model expects int32"):
        enforce(ints, np.ones(3))
    named = Signature(
        Schema([TensorSpec("float32", (-1,), "a"), TensorSpec("float32", (-1,), "b")])
    )
    with pytest.raises(InvalidInput, match="input tensor 'b' is missing"):
        enforce(named, {"a": np.ones(2, "float32")})
    with pytest.raises(InvalidInput, match="tensor 'c' the model's signature does not list"):
        enforce(named, {"a": np.ones(2, "float32"), "b": np.ones(2, "float32"), "c": np.ones(2)})


def test_unnamed_columns_take_arrays():
    signature = Signature(Schema([ColSpec("double"), ColSpec("double")]))
    assert enforce(signature, np.ones((3, 2))).shape == (3, 2)
    with pytest.raises(InvalidInput, match="the model expects 2 columns"):
        enforce(signature, np.ones((3, 5)))


def test_no_signature_passes_data_through():
    data = object()
    assert enforce(None, data) is data


def test_params_enforcement():
    schema = ParamSchema.from_json('[{"name": "k", "type": "long", "default": 1, "shape": null}]')
    assert enforce_params(schema, None) == {"k": 1}
    assert enforce_params(schema, {"k": 5}) == {"k": 5}
    with pytest.raises(InvalidInput, match="param 'x' is not in the model's signature"):
        enforce_params(schema, {"x": 1})
    with pytest.raises(InvalidInput, match="takes no params"):
        enforce_params(None, {"x": 1})


def test_unnamed_columns_convert_safely():
    signature = Signature(Schema([ColSpec("double"), ColSpec("long")]))
    out = enforce(signature, np.array([[1, 2], [3, 4]], dtype="int32"))
    assert [str(t) for t in out.dtypes] == ["float64", "int64"]


def test_integer_column_labels_match_their_names():
    frame = pd.DataFrame(np.ones((2, 2)))
    signature = infer_signature(frame)
    assert signature.inputs.names == ["0", "1"]
    out = enforce(signature, frame)
    assert list(out.columns) == [0, 1]


def test_datetime_columns_accept_iso_text():
    signature = Signature(Schema([ColSpec("datetime", "t")]))
    out = enforce(signature, {"t": ["2024-01-01T00:00:00", "2024-02-01T12:30:00"]})
    assert pd.api.types.is_datetime64_any_dtype(out["t"])
    with pytest.raises(
        InvalidInput, match="column 't' has type string, the model expects datetime"
    ):
        enforce(signature, {"t": ["not a date"]})


def test_a_frame_that_already_conforms_is_used_as_it_is():
    """No per-column checks or rebuilt DataFrame when the columns, their order and their
    dtypes are already the signature's (the serving path's common case)."""
    sig = Signature(Schema([ColSpec("double", "a"), ColSpec("long", "b"), ColSpec("boolean", "c")]))
    frame = pd.DataFrame({"a": [0.5, 1.5], "b": [1, 2], "c": [True, False]})
    assert enforce(sig, frame) is frame
    # anything else still goes through the checks and conversions
    reordered = frame[["b", "a", "c"]]
    out = enforce(sig, reordered)
    assert out is not reordered and list(out.columns) == ["a", "b", "c"]
    narrow = frame.astype({"b": "int32"})
    assert str(enforce(sig, narrow)["b"].dtype) == "int64"
    with pytest.raises(InvalidInput, match="column 'b' has type double"):
        enforce(sig, frame.astype({"b": "float64"}))
