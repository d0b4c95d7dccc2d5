"""The migration ledger: one SQLite file in the workspace with a row per source file."""

from filmroom.ledger.store import Ledger

__all__ = ["Ledger"]
