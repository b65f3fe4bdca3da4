"""``import cairn.onnx``: the ONNX flavor (see :mod:`cairn.models.flavors.onnx`).

Also the ``python_function`` loader module named in the ``MLmodel`` of ONNX models.
"""

from cairn.models.flavors.onnx import (
    FLAVOR_NAME,
    convert_sklearn,
    load_model,
    log_model,
    save_model,
)
from cairn.models.flavors.onnx import (
    _load_pyfunc as _load_pyfunc,
)

__all__ = ["FLAVOR_NAME", "convert_sklearn", "load_model", "log_model", "save_model"]
