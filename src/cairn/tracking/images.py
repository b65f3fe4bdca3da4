"""Turning numpy arrays and PIL images into image files for ``log_image``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from cairn.errors import InvalidInput

_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".gif": "GIF",
    ".bmp": "BMP",
    ".webp": "WEBP",
}


def to_png_bytes(image: Any, artifact_file: str) -> bytes:
    """Encode an HxW / HxWx3 / HxWx4 array (uint8, or floats in [0, 1]) or a PIL image."""
    suffix = Path(artifact_file).suffix.lower()
    if suffix not in _FORMATS:
        raise InvalidInput(
            f"log_image: {artifact_file!r} needs an image extension: {', '.join(sorted(_FORMATS))}"
        )
    try:
        from PIL import Image
    except ImportError as exc:
        raise InvalidInput("log_image needs Pillow: pip install 'cairn[plots]'") from exc
    if not isinstance(image, Image.Image):
        image = Image.fromarray(_as_uint8(image))
    buffer = io.BytesIO()
    if _FORMATS[suffix] == "JPEG" and image.mode == "RGBA":
        image = image.convert("RGB")
    image.save(buffer, format=_FORMATS[suffix])
    return buffer.getvalue()


def _as_uint8(array: Any) -> Any:
    import numpy as np

    if not isinstance(array, np.ndarray):
        raise InvalidInput(
            f"log_image needs a numpy array or a PIL image, got {type(array).__name__}"
        )
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise InvalidInput(
            f"log_image: array of shape {array.shape} is not HxW, HxWx1, HxWx3 or HxWx4"
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        if np.nanmin(array) < 0 or np.nanmax(array) > 1:
            raise InvalidInput("log_image: float images must have values in [0, 1]")
        return (np.nan_to_num(array) * 255).round().astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() > 255:
            raise InvalidInput("log_image: integer images must have values in [0, 255]")
        return array.astype(np.uint8)
    raise InvalidInput(f"log_image: arrays of dtype {array.dtype} are not images")
