"""Read and write the Excel/CSV files clerks upload and download. Pure functions, no Django models.

Imports are all-or-nothing, so ``read_table`` checks every cell of every row and collects every
error (row, column, message): the clerk fixes the whole file in one go. It accepts what HR
clerks' files really look like: decorated Chinese headers, a title row above the header,
full-width characters, dates as text, real dates or serial numbers, empty rows, CSV saved by
Excel in GBK. It refuses, with a message saying what to do, a file that would cost too much to
read (``limits``), and reads workbooks in a child process with memory and time limits
(``isolation``).

Modules: ``cells`` (columns and cell parsers), ``reading`` (``read_table``), ``limits`` (upload
caps), ``isolation`` (the child process), ``writing`` (exports and templates).
"""

from lib.excel.cells import KINDS, Column, ParsedTable, RowError, choice_labels, normalise_text
from lib.excel.limits import size_problem
from lib.excel.reading import HEADER_SEARCH_ROWS, read_table
from lib.excel.writing import DATE_FORMAT, DATETIME_FORMAT, TEMPLATE_ROWS, write_table, write_template

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "HEADER_SEARCH_ROWS",
    "KINDS",
    "TEMPLATE_ROWS",
    "Column",
    "ParsedTable",
    "RowError",
    "choice_labels",
    "normalise_text",
    "read_table",
    "size_problem",
    "write_table",
    "write_template",
]
