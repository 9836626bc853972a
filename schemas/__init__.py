"""Pandera (polars backend) models of the data contract (`docs/spec/contract.md`).

Each model is the typed shape of one extract after parsing; the parser reads the target dtype of every
column from these models, so the contract is written once. They are imported on first use (PEP 562), so that a
command that needs only the value sets (`schemas.enums`, `schemas.labels`: `explain`, `--help`) does not pay for
pandera's import.
"""

from __future__ import annotations

import importlib

_MODELS = {"Applications": "schemas.applications", "Experience": "schemas.experience", "Wages": "schemas.wages"}

__all__ = ["Applications", "Experience", "Wages", "MODELS"]


def __getattr__(name: str):
    if name in _MODELS:
        return getattr(importlib.import_module(_MODELS[name]), name)
    if name == "MODELS":
        return {"applications": __getattr__("Applications"), "experience": __getattr__("Experience"),
                "wages": __getattr__("Wages")}
    raise AttributeError(name)
