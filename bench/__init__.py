"""Benchmarks at the scale case (DESIGN §6): `make bench`. See bench/__main__.py."""

from .registry import Context, Result, register

__all__ = ["Context", "Result", "register"]
