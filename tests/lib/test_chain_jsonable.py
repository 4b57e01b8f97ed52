"""jsonable's fast path for plain dicts and lists converts nested values exactly as before."""

import datetime as dt
import decimal
import uuid

from lib.chain import canonical_json, jsonable, record_hash


class Text(str):
    pass


def test_nested_values_inside_plain_dicts_and_lists_are_converted():
    moment = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    value = {
        1: [moment, dt.date(2026, 3, 1), decimal.Decimal("7.0"), None, True, 3, 2.5, "a"],
        "set": {"b", "a"},
        "nested": {"id": uuid.UUID(int=1), "bytes": b"\x01", "tuple": (1, dt.time(8, 30))},
        "sub": Text("x"),
    }
    assert jsonable(value) == {
        "1": ["2026-03-01T01:00:00.000000+00:00", "2026-03-01", "7.0", None, True, 3, 2.5, "a"],
        "set": ["a", "b"],
        "nested": {"id": "00000000-0000-0000-0000-000000000001", "bytes": "01", "tuple": [1, "08:30:00"]},
        "sub": "x",
    }


def test_the_hash_of_a_record_is_unchanged():
    # Fixed by the implementation before the fast path: stored chains must keep verifying.
    payload = {"a": 1, "b": [dt.date(2026, 1, 2), {"c": decimal.Decimal("1.50")}], "d": None, "_model": "x.Y"}
    assert canonical_json(jsonable(payload)) == '{"_model":"x.Y","a":1,"b":["2026-01-02",{"c":"1.50"}],"d":null}'
    assert record_hash(payload) == record_hash(dict(reversed(payload.items())))
