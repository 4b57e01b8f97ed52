"""The SVG charts, without a database: valid XML, escaped text, round ticks, empty data, long labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from lib.charts import (
    ACCENT,
    FONT_STACK,
    Series,
    bar_chart,
    format_number,
    line_chart,
    nice_ticks,
    text_width,
    truncate,
)

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    # the SVG is our own output, and parsing it is the point: it raises on anything not well-formed
    root = ET.fromstring(svg)  # noqa: S314
    assert root.tag == f"{NS}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def own_texts(root: ET.Element) -> list[str]:
    """Visible text only (without the tooltips' <title> inside a <text>)."""
    return [(t.text or "") + "".join((c.tail or "") for c in t) for t in root.iter(f"{NS}text")]


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for g in root.iter(f"{NS}g") if g.get("class") == "bars" for r in g.iter(f"{NS}rect")]


LEVELS = ["五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师"]


def level_chart(**extra) -> str:
    return bar_chart(
        title="按职业技能等级",
        labels=LEVELS,
        values=[1200, 3400, 2100, 300, 45],
        x_label="职业技能等级",
        y_label="证书数（张）",
        **extra,
    )


# --- the frame ------------------------------------------------------------------------------
def test_a_bar_chart_is_valid_svg_with_a_title_and_a_description_for_screen_readers():
    root = parse(level_chart(chart_id="levels"))
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title.text == "按职业技能等级" and title.get("id") == "levels-title"
    assert desc.get("id") == "levels-desc"
    assert "四级/中级工：3,400" in desc.text  # the data, read out by a screen reader
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "levels-title levels-desc"


def test_the_chart_scales_with_its_container():
    root = parse(level_chart())
    assert root.get("viewBox").startswith("0 0 720 ")
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert "height:auto" in root.get("style")


def test_it_uses_the_system_cjk_fonts_and_the_accent_colour():
    root = parse(level_chart())
    assert root.get("font-family") == FONT_STACK
    assert "Microsoft YaHei" in FONT_STACK and "Noto Sans CJK SC" in FONT_STACK
    assert all(b.get("fill") in (None, ACCENT) for b in bars(root))
    assert any(g.get("fill") == ACCENT for g in root.iter(f"{NS}g") if g.get("class") == "bars")


def test_the_axes_are_labelled_and_every_value_is_written_on_its_bar():
    root = parse(level_chart())
    shown = texts(root)
    assert "职业技能等级" in shown and "证书数（张）" in shown
    for label in LEVELS:
        assert label in shown
    for value in ("1,200", "3,400", "2,100", "300", "45"):
        assert value in shown
    assert len(bars(root)) == 5


def test_the_value_axis_has_round_ticks_from_zero():
    root = parse(level_chart())
    shown = texts(root)
    for tick in ("0", "1,000", "2,000", "3,000", "4,000"):
        assert tick in shown


def test_the_chart_id_is_stable_for_the_same_data_and_safe_in_an_attribute():
    assert parse(level_chart()).get("id") == parse(level_chart()).get("id")
    assert parse(level_chart(chart_id='a b"<c>')).get("id") == "a-b--c-"


# --- ticks ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("maximum", "integer", "expected"),
    [
        (7, True, [0, 2, 4, 6, 8]),
        (1994, True, [0, 500, 1000, 1500, 2000]),
        (100, False, [0, 20, 40, 60, 80, 100]),
        (83.3, False, [0, 20, 40, 60, 80, 100]),
        (1, True, [0, 1]),
        (3, True, [0, 1, 2, 3]),
        (0.7, False, [0, 0.2, 0.4, 0.6, 0.8]),
        (850000, False, [0, 200000, 400000, 600000, 800000, 1000000]),
        (0, True, [0, 1]),
    ],
)
def test_ticks_are_round_steps_from_zero_to_at_least_the_maximum(maximum, integer, expected):
    assert nice_ticks(maximum, integer=integer) == expected


def test_a_count_axis_never_has_a_fractional_step():
    for maximum in range(1, 60):
        ticks = nice_ticks(maximum, integer=True)
        assert all(t == int(t) for t in ticks), (maximum, ticks)
        assert ticks[-1] >= maximum and len(ticks) <= 7


def test_fractional_ticks_are_labelled_with_their_decimals():
    root = parse(bar_chart(title="t", labels=["甲", "乙"], values=[0.3, 0.7], x_label="x", y_label="y", decimals=1))
    assert {"0.2", "0.4", "0.6", "0.8"} <= set(texts(root))


# --- empty and strange data -----------------------------------------------------------------
@pytest.mark.parametrize(
    "chart",
    [
        lambda: bar_chart(title="空", labels=[], values=[], x_label="x", y_label="y"),
        lambda: bar_chart(title="空", labels=["甲"], values=[None], x_label="x", y_label="y"),
        lambda: line_chart(title="空", labels=[], series=[], x_label="x", y_label="y"),
        lambda: line_chart(title="空", labels=["1月"], series=[Series("证书数", [None])], x_label="x", y_label="y"),
    ],
)
def test_an_empty_chart_says_there_is_no_data(chart):
    root = parse(chart())
    assert texts(root) == ["所选范围内暂无数据"]
    assert root.find(f"{NS}desc").text == "所选范围内暂无数据"


def test_all_zero_values_still_draw_an_axis():
    root = parse(bar_chart(title="t", labels=["甲", "乙"], values=[0, 0], x_label="x", y_label="y"))
    assert {"0", "1"} <= set(texts(root))


def test_every_text_is_escaped_and_characters_xml_forbids_are_dropped():
    nasty = "<script>alert(\"x\")</script> & '引号'\x00\x07"
    svg = bar_chart(title=nasty, labels=[nasty, "A&B"], values=[1, 2], x_label=nasty, y_label="<y>", description=nasty)
    assert "<script>" not in svg
    root = parse(svg)
    clean = "<script>alert(\"x\")</script> & '引号'"
    assert root.find(f"{NS}title").text == clean
    assert root.find(f"{NS}desc").text == clean
    assert "A&B" in texts(root) and "<y>" in texts(root)
    svg = line_chart(title="t", labels=["<1>"], series=[Series('"系列"&', [3])], x_label="x", y_label="y")
    assert "<1>" in texts(parse(svg))


def test_it_refuses_negative_values_and_a_value_count_that_does_not_match_the_labels():
    with pytest.raises(ValueError):
        bar_chart(title="t", labels=["甲"], values=[-1], x_label="x", y_label="y")
    with pytest.raises(ValueError):
        bar_chart(title="t", labels=["甲", "乙"], values=[1], x_label="x", y_label="y")
    with pytest.raises(ValueError):
        line_chart(title="t", labels=["甲"], series=[Series("s", [1, 2])], x_label="x", y_label="y")


def test_decimals_and_units_are_shown_as_given():
    root = parse(
        bar_chart(
            title="合格率",
            labels=["甲", "乙"],
            values=[Decimal("83.3"), 100],
            x_label="机构",
            y_label="合格率",
            unit="%",
            decimals=1,
        )
    )
    assert {"83.3%", "100.0%", "0%", "100%"} <= set(texts(root))
    assert format_number(1234567.891, decimals=2) == "1,234,567.89"
    assert format_number(None) == "—"


# --- long labels ----------------------------------------------------------------------------
def test_long_labels_of_a_horizontal_chart_are_cut_with_the_full_name_in_a_tooltip():
    long_name = "东莞市某某某某精密机械制造股份有限公司第二分公司职业技能等级认定中心"
    root = parse(
        bar_chart(
            title="按评价机构",
            labels=[long_name, "东莞市乙电子有限公司"],
            values=[692, 5],
            x_label="评价机构",
            y_label="证书数（张）",
            horizontal=True,
        )
    )
    visible = own_texts(root)
    cut = [t for t in visible if t.endswith("…")]
    assert len(cut) == 1 and long_name.startswith(cut[0][:-1])
    assert "东莞市乙电子有限公司" in visible
    tooltips = [t.find(f"{NS}title").text for t in root.iter(f"{NS}text") if t.find(f"{NS}title") is not None]
    assert tooltips == [long_name]
    assert {"692", "5"} <= set(visible)


def test_category_labels_that_do_not_fit_under_their_bars_are_rotated():
    labels = [f"可编程序控制系统设计师{i}" for i in range(12)]
    root = parse(bar_chart(title="t", labels=labels, values=list(range(12)), x_label="职业", y_label="证书数"))
    rotated = [t for t in root.iter(f"{NS}text") if "rotate(-40" in (t.get("transform") or "")]
    assert len(rotated) == 12
    roomy = parse(level_chart())
    assert not [t for t in roomy.iter(f"{NS}text") if "rotate(-40" in (t.get("transform") or "")]


def test_truncation_measures_chinese_characters_as_wide():
    assert text_width("车工") == 24 and text_width("ab") == pytest.approx(14.4)
    assert truncate("车工", max_px=30) == "车工"
    assert truncate("一二三四五六七八", max_px=48) == "一二三…"


# --- line chart -----------------------------------------------------------------------------
MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


def test_a_line_chart_marks_and_labels_every_point():
    values = [3, 5, 0, 12, 40, 33, 27, 8, 9, 14, 60, 2]
    root = parse(
        line_chart(
            title="按月发证",
            labels=MONTHS,
            series=[Series("证书数", values)],
            x_label="发证月份",
            y_label="证书数（张）",
        )
    )
    assert len(list(root.iter(f"{NS}polyline"))) == 1
    assert len(list(root.iter(f"{NS}circle"))) == 12
    shown = texts(root)
    assert "发证月份" in shown and "证书数（张）" in shown
    for value in values:
        assert str(value) in shown
    assert {"0", "20", "40", "60"} <= set(shown)


def test_two_series_get_two_lines_and_a_legend():
    root = parse(
        line_chart(
            title="t",
            labels=MONTHS,
            series=[Series("证书数", list(range(12))), Series("其中已撤销", [0] * 12)],
            x_label="x",
            y_label="y",
        )
    )
    lines = list(root.iter(f"{NS}polyline"))
    assert len(lines) == 2 and lines[0].get("stroke") != lines[1].get("stroke")
    assert {"证书数", "其中已撤销"} <= set(texts(root))


def test_a_gap_in_the_data_breaks_the_line_instead_of_dropping_to_zero():
    root = parse(
        line_chart(title="t", labels=MONTHS[:5], series=[Series("s", [1, 2, None, 4, 5])], x_label="x", y_label="y")
    )
    assert len(list(root.iter(f"{NS}polyline"))) == 2
    assert len(list(root.iter(f"{NS}circle"))) == 4


def test_many_months_show_a_readable_subset_of_their_labels():
    labels = [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(60)]
    root = parse(line_chart(title="t", labels=labels, series=[Series("s", list(range(60)))], x_label="x", y_label="y"))
    shown = [t for t in own_texts(root) if t in labels]
    assert labels[0] in shown and 5 <= len(shown) < 60
    assert len(list(root.iter(f"{NS}circle"))) == 60
