"""ztui: a terminal UI for watching and operating Zuora bulk jobs."""

__version__ = "0.1.0"
