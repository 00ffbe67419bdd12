"""ivr: call handling for a bank's customer hotline."""

__version__ = "0.1.0"
