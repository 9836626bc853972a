"""Tests of flows/runtime/: signals held during a swap or a cleanup."""
