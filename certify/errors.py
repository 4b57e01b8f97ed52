"""Errors the certify services raise besides ValidationError and PermissionDenied."""

from __future__ import annotations


class ImportRejected(Exception):
    """An all-or-nothing import found problems; nothing was written.

    ``errors`` are ``lib.excel.RowError`` items, each naming the row, the column and the problem.
    """

    def __init__(self, errors: list):
        super().__init__(f"{len(errors)} problems")
        self.errors = errors
