"""artifacts routes of the native API."""

from fastapi import APIRouter

router = APIRouter(tags=["artifacts"])
