"""Fault tests use the telephony fixtures: the shipped config with round-the-clock hours."""

from tests.telephony.conftest import config_dir

__all__ = ["config_dir"]
