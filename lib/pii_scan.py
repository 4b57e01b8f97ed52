"""Find plaintext resident ID numbers in text: 18 characters with a real birth date and the right
check character (GB 11643), not embedded in a longer run of digits. Used by ``manage.py pii_scan``
and the tests that prove nothing personal leaks into tables, logs or task messages."""

from __future__ import annotations

import re

from lib.identifiers import check_id_number

# 17 digits and a check character, not part of a longer alphanumeric run (a hash or a token).
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_TEXT_TYPES = ("char", "text", "json", "clob", "varchar")


def find_id_numbers(text: str) -> list[str]:
    """Every checksum-valid resident ID number in ``text``."""
    return [m.group(0) for m in _CANDIDATE.finditer(text) if not check_id_number(m.group(0).upper())]


def text_columns(connection) -> dict[str, list[str]]:
    """Table → its text-like columns (char, text, JSON), for every table in the database."""
    result: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            description = connection.introspection.get_table_description(cursor, table)
            columns = [
                column.name
                for column in description
                if any(kind in _type_name(connection, column).lower() for kind in _TEXT_TYPES)
            ]
            if columns:
                result[table] = columns
    return result


def _type_name(connection, column) -> str:
    try:
        return connection.introspection.get_field_type(column.type_code, column)
    except KeyError:
        return str(column.type_code)
