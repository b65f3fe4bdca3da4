"""cairn.pyfunc.spark_udf scores a Spark DataFrame on a local SparkSession."""

from __future__ import annotations

import os
import shutil
import sys

import pandas as pd
import pytest

import cairn.pyfunc
from cairn.errors import InvalidInput

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("spark_udf needs Java", allow_module_level=True)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


class Weighted(cairn.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input["a"] * 2 + model_input["b"]


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("cairn-spark-udf")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.driver.memory", "512m")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_udf_matches_pyfunc(spark, tmp_path):
    folder = tmp_path / "weighted"
    example = pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 0.25, 0.0]})
    cairn.pyfunc.save_model(folder, python_model=Weighted(), input_example=example)
    frame = pd.DataFrame({"a": list(range(50)), "b": [i / 10 for i in range(50)]})
    expected = list(cairn.pyfunc.load_model(folder).predict(frame))

    udf = cairn.pyfunc.spark_udf(spark, str(folder))
    scored = spark.createDataFrame(frame).withColumn("prediction", udf("a", "b"))
    rows = scored.orderBy("a").collect()
    assert [row["prediction"] for row in rows] == pytest.approx(expected)

    with pytest.raises(Exception, match="the UDF got 1 columns"):
        spark.createDataFrame(frame).select(udf("a")).collect()


def test_spark_udf_fails_on_the_driver_for_a_bad_uri(spark, tmp_path):
    with pytest.raises(InvalidInput):
        cairn.pyfunc.spark_udf(spark, "models:/not a uri")
