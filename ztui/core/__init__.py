"""Foundations with no UI and no network: file locations, secrets, logging, start-up GC pause."""
