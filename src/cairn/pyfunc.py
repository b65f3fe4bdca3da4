"""``import cairn.pyfunc``: the python_function interface (see :mod:`cairn.models.pyfunc`)."""

from cairn.models.pyfunc import (
    FLAVOR_NAME,
    PyFuncModel,
    PythonModel,
    PythonModelContext,
    add_to_model,
    load_model,
    log_model,
    save_model,
)
from cairn.models.spark import spark_udf

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "add_to_model",
    "load_model",
    "log_model",
    "save_model",
    "spark_udf",
]
