"""What an uploaded table may cost to read (issue 9, finding 5): caps checked before openpyxl sees the
file, and openpyxl itself run in a child process with memory and time limits.

Each hostile file is refused with a Chinese message saying what to do; the tests measure how much was
inflated to refuse it, so a check that only comes after decompressing everything fails here.
"""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lib.excel import Column, isolation, read_table
from lib.excel.limits import _TagCounter
from tests.lib.bombs import (
    MAIN_NS,
    MIB,
    part,
    repeated_part,
    shared_strings_bomb,
    sheet_xml,
    workbook_parts,
    workbook_with_sheet,
    zip_bytes,
)

NAME = Column(key="name", header="姓名")
_CHUNK = 64 * 1024


class Inflated:
    """Counts the bytes every zip member gives back; past ``ceiling`` it stops the read, so a parser
    that would inflate a bomb whole fails the test quickly instead of filling the machine's memory."""

    def __init__(self, ceiling: int):
        self.total = 0
        self.ceiling = ceiling

    def add(self, data: bytes) -> bytes:
        self.total += len(data)
        if self.total > self.ceiling:
            raise AssertionError(f"inflated more than {self.ceiling} bytes")
        return data


@pytest.fixture
def inflated(monkeypatch):
    counter = Inflated(ceiling=64 * MIB)
    original = zipfile.ZipExtFile.read
    monkeypatch.setattr(zipfile.ZipExtFile, "read", lambda self, n=-1: counter.add(original(self, n)))
    return counter


def refusal(data: bytes, filename: str = "名单.xlsx", **kwargs) -> str:
    table = read_table(io.BytesIO(data), columns=[NAME], filename=filename, **kwargs)
    assert table.rows == []
    assert len(table.errors) == 1, [str(error) for error in table.errors]
    assert table.errors[0].row == 0
    return table.errors[0].message


# --- finding 5: the shared-strings bomb ---------------------------------------------------------
def test_a_small_workbook_whose_shared_strings_unpack_to_hundreds_of_mib_is_refused_before_inflating_them(inflated):
    data = shared_strings_bomb(mib=237)  # the size reported in the issue
    assert len(data) < MIB

    message = refusal(data)

    assert message == "文件解压后有一部分超过 50 MB，请删除多余的工作表、图片或格式，或拆分后分批上传"
    assert inflated.total < MIB


def test_a_shared_strings_part_over_its_own_cap_is_refused_from_the_directory(settings, inflated):
    settings.SKILLCERT_UPLOAD_SHARED_STRINGS_MAX_BYTES = 2 * MIB

    message = refusal(shared_strings_bomb(mib=8))

    assert message == "文件中的文字内容解压后超过 2 MB，请删除多余的工作表或分批上传"
    assert inflated.total < MIB


class Endless:
    """A zip member that inflates for ever, whatever the directory declared."""

    def __init__(self, head: bytes, body: bytes):
        self.head, self.body, self.given = head, body, 0

    def read(self, size=-1):
        if self.given > 16 * MIB:  # far past every cap: a reader that has not stopped never will
            raise AssertionError("read past every cap")
        chunk = self.head or self.body * max(1, (size if size > 0 else _CHUNK) // len(self.body))
        self.head = b""
        self.given += len(chunk)
        return chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("xl/sharedStrings.xml", "文件中的文字内容解压后超过 1.5 MB，请删除多余的工作表或分批上传"),
        ("xl/theme/theme1.xml", "文件解压后有一部分超过 2 MB，请删除多余的工作表、图片或格式，或拆分后分批上传"),
    ],
)
def test_the_caps_count_the_bytes_actually_inflated_not_the_sizes_the_directory_declares(
    settings, monkeypatch, name, expected
):
    settings.SKILLCERT_UPLOAD_SHARED_STRINGS_MAX_BYTES = 3 * MIB // 2
    settings.SKILLCERT_UPLOAD_XLSX_PART_MAX_BYTES = 2 * MIB
    data = shared_strings_bomb(mib=1)
    endless = Endless(f'<sst xmlns="{MAIN_NS}">'.encode(), b"<si><t>A</t></si>")
    original = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile,
        "open",
        lambda self, member, *a, **k: (
            endless if getattr(member, "filename", member) == name else original(self, member, *a, **k)
        ),
    )

    assert refusal(data) == expected
    assert endless.given < 3 * MIB


def test_too_many_distinct_texts_are_refused_while_streaming(settings, inflated):
    settings.SKILLCERT_UPLOAD_SHARED_STRINGS_MAX_ITEMS = 1000

    message = refusal(shared_strings_bomb(mib=8, item=b"<si><t>x</t></si>"))

    assert message == "文件中不同的文字超过 1000 条，请删除多余的工作表或分批上传"
    assert inflated.total < MIB


def test_a_zip_directory_that_understates_a_part_cannot_smuggle_it_past_the_caps(inflated):
    data = shared_strings_bomb(mib=256, declared_size=1000)

    assert "文件无法读取" in refusal(data)
    assert inflated.total < MIB


def test_a_zip_directory_that_overstates_a_part_is_refused_from_the_directory_alone(inflated):
    data = shared_strings_bomb(mib=1, declared_size=3 * 1024 * MIB)

    assert "解压后有一部分超过" in refusal(data)
    assert inflated.total < MIB


def test_parts_that_add_up_to_too_much_are_refused_from_the_directory(settings, inflated):
    settings.SKILLCERT_UPLOAD_XLSX_UNPACKED_MAX_BYTES = 4 * MIB
    parts = workbook_parts(["姓名"], ["张三"])
    filler = [part(f"xl/media/image{i}.png", b"\0" * MIB) for i in range(5)]

    assert refusal(zip_bytes(parts + filler)) == "文件解压后超过 4 MB，请删除多余的工作表、图片或格式，或拆分后分批上传"
    assert inflated.total < MIB


def test_a_shared_strings_part_with_a_doctype_is_refused_as_damaged():
    laughs = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]><sst><si><t>&a;</t></si></sst>'
    parts = [part("xl/sharedStrings.xml", laughs) if p.name == "xl/sharedStrings.xml" else p for p in _strings()]

    assert "文件无法读取" in refusal(zip_bytes(parts))


def _strings() -> list:
    with zipfile.ZipFile(io.BytesIO(shared_strings_bomb(mib=1))) as archive:
        return [part(info.filename, archive.read(info)) for info in archive.infolist()]


# --- rows and cells -----------------------------------------------------------------------------
def test_a_sheet_whose_last_row_is_far_below_the_data_is_refused_before_openpyxl_fills_the_gap():
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row><row r="1048576"><c r="A1048576"/></row>'
    data = workbook_with_sheet(part("xl/worksheets/sheet1.xml", sheet_xml(rows)))

    assert refusal(data) == "工作表超过 100000 行（空行也计算在内），请删除多余的行，或拆分后分批上传"


def test_cells_far_to_the_right_count_for_every_column_openpyxl_would_pad_them_to():
    far = "".join(f'<row r="{n}"><c r="XFD{n}"/></row>' for n in range(2, 200))
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>' + far
    data = workbook_with_sheet(part("xl/worksheets/sheet1.xml", sheet_xml(rows)))

    message = refusal(data)

    assert message == "工作表的单元格超过 1000000 个（含空白格），请删除多余的列和格式，或拆分后分批上传"


def test_many_cells_in_a_sheet_are_refused_while_streaming(settings, inflated):
    settings.SKILLCERT_UPLOAD_SHEET_MAX_CELLS = 10_000
    sheet = repeated_part(
        "xl/worksheets/sheet1.xml",
        head=sheet_xml("").split(b"</sheetData>")[0] + b'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c>',
        block=b"<c/>" * 1024,
        times=8 * 1024,
        tail=b"</row></sheetData></worksheet>",
    )

    assert "单元格超过 10000 个" in refusal(workbook_with_sheet(sheet))
    assert inflated.total < MIB


def test_a_real_5000_row_sheet_passes_the_default_caps():
    rows = [["姓名"], *([f"张{i}"] for i in range(5000))]
    table = read_table(io.BytesIO(_xlsx(rows)), columns=[NAME], filename="名单.xlsx")
    assert table.ok
    assert len(table.rows) == 5000


def _xlsx(rows) -> bytes:
    return zip_bytes(workbook_parts(*rows))


# --- the file itself ------------------------------------------------------------------------------
class Unreadable(io.BytesIO):
    def read(self, *args):
        raise AssertionError("the upload was read")


def test_a_file_over_the_byte_cap_is_refused_before_it_is_read(settings):
    settings.SKILLCERT_UPLOAD_MAX_BYTES = 2048
    upload = SimpleUploadedFile("名单.csv", b"")
    upload.file, upload.size = Unreadable(), 2049

    table = read_table(upload, columns=[NAME])

    assert [str(error) for error in table.errors] == ["文件超过 2 KB，请删除多余的工作表、图片和空行，或拆分后分批上传"]


def test_a_file_on_disk_over_the_byte_cap_is_refused(settings, tmp_path):
    settings.SKILLCERT_UPLOAD_MAX_BYTES = 2048
    path = tmp_path / "名单.csv"
    path.write_bytes(b"x" * 2049)

    assert "文件超过" in read_table(path, columns=[NAME]).errors[0].message


def test_a_csv_with_too_many_lines_is_refused_even_when_they_are_empty(settings):
    settings.SKILLCERT_UPLOAD_SHEET_MAX_ROWS = 100
    data = ("姓名\n张三\n" + "\n" * 200).encode()

    assert refusal(data, "名单.csv") == "工作表超过 100 行（空行也计算在内），请删除多余的行，或拆分后分批上传"


def test_a_csv_with_too_many_cells_is_refused(settings):
    settings.SKILLCERT_UPLOAD_SHEET_MAX_CELLS = 1000
    data = ("姓名\n" + "," * 2000 + "\n").encode()

    assert "单元格超过 1000 个" in refusal(data, "名单.csv")


# --- the child process ----------------------------------------------------------------------------
def _blocked_forever(data, **caps):
    """Stands in for a parse that never ends: it waits on a pipe nobody writes to."""
    read_end, _write_end = os.pipe()
    os.read(read_end, 1)


def _greedy(data, **caps):
    """Stands in for a parse that needs 256 MiB: the address space is reserved at once, so without
    a limit this succeeds (and costs nothing until touched), and with one it fails."""
    return [("姓名",), (str(len(bytearray(256 * MIB))),)]


def test_a_parse_that_runs_past_its_time_is_stopped_and_reported(settings, monkeypatch):
    settings.SKILLCERT_UPLOAD_PARSE_TIMEOUT_SECONDS = 0.01
    monkeypatch.setattr("lib.excel.reading.first_sheet_rows", _blocked_forever)

    message = refusal(_xlsx([["姓名"], ["张三"]]))

    assert message == "读取文件超过 0.01 秒仍未完成，请删除多余的工作表、公式和格式，或拆分后分批上传"


def test_a_parse_that_needs_too_much_memory_is_stopped_and_reported(settings, monkeypatch):
    settings.SKILLCERT_UPLOAD_PARSE_MAX_MEMORY_BYTES = 64 * MIB
    monkeypatch.setattr("lib.excel.reading.first_sheet_rows", _greedy)

    message = refusal(_xlsx([["姓名"], ["张三"]]))

    assert message == "读取文件所需的内存超出限制，请删除多余的工作表、图片和格式，或拆分后分批上传"


def test_a_bomb_the_caps_do_not_foresee_is_stopped_by_the_limits_of_the_child(settings):
    # 66 KB: a 20 MB style sheet of 1.2 million fonts, within every cap; openpyxl builds each one.
    settings.SKILLCERT_UPLOAD_PARSE_MAX_MEMORY_BYTES = 64 * MIB
    # Time enough that the memory limit, not the clock of a slow or busy machine, stops it.
    settings.SKILLCERT_UPLOAD_PARSE_TIMEOUT_SECONDS = 120
    styles = repeated_part(
        "xl/styles.xml",
        head=f'<styleSheet xmlns="{MAIN_NS}"><fonts>'.encode(),
        block=b"<font><b/></font>" * 4096,
        times=300,
        tail=b"</fonts></styleSheet>",
    )
    parts = [styles if item.name == "xl/styles.xml" else item for item in workbook_parts(["姓名"], ["张三"])]

    message = refusal(zip_bytes(parts))

    assert message == "读取文件所需的内存超出限制，请删除多余的工作表、图片和格式，或拆分后分批上传"


def test_openpyxl_runs_in_a_child_process(monkeypatch):
    parent = os.getpid()
    seen = []

    def record(data, **caps):
        seen.append(os.getpid())
        return [("姓名",), (str(os.getpid()),)]

    monkeypatch.setattr("lib.excel.reading.first_sheet_rows", record)
    table = read_table(io.BytesIO(_xlsx([["姓名"], ["张三"]])), columns=[NAME], filename="名单.xlsx")

    assert table.ok
    assert seen == []  # the call happened in the child, whose memory the parent never sees
    assert int(table.rows[0][1]["name"]) != parent


def test_the_rows_a_child_sends_back_cannot_carry_arbitrary_objects():
    import pickle

    payload = pickle.dumps(("ok", [(os.system,)]))
    with pytest.raises(pickle.UnpicklingError):
        isolation.loads(payload)


def test_a_tag_split_between_two_chunks_is_counted_once():
    counter = _TagCounter(b"c")

    counter.feed(b'<row r="1"><c r="A1"/><x:c r="B1"/><')
    counter.feed(b'c r="C1"/><cols/><c>')

    assert counter.count == 4


def test_a_sheet_in_utf_16_whose_tags_the_counters_cannot_see_is_refused():
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>'
    sheet = part("xl/worksheets/sheet1.xml", '<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") + _utf16(rows))

    assert "文件无法读取" in refusal(workbook_with_sheet(sheet))


def _utf16(rows: str) -> bytes:
    return sheet_xml(rows).decode().encode("utf-16-le")
