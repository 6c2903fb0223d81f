"""Benchmarks at the scale case (ARCHITECTURE.md, "Targets"): `make bench`.

See bench/__main__.py."""

from .registry import Context, Result, register

__all__ = ["Context", "Result", "register"]
