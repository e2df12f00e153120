"""The write page (co-creation): placeholder until the editor lands."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
