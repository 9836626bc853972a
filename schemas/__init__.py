"""Pandera (polars backend) models of the data contract (`docs/spec/contract.md`).

Each model is the typed shape of one extract after parsing; the parser reads the target dtype of every
column from these models, so the contract is written once.
"""

from schemas.applications import Applications
from schemas.experience import Experience
from schemas.wages import Wages

MODELS = {"applications": Applications, "experience": Experience, "wages": Wages}

__all__ = ["Applications", "Experience", "Wages", "MODELS"]
