from datetime import date

import pytest
from django.utils import translation

from ffs_portal.lib import dates

SPANS = [
    (date(2026, 11, 23), date(2026, 11, 29), "23–29 Nov 2026", "2026年11月23日–29日"),
    (date(2026, 11, 30), date(2026, 12, 6), "30 Nov – 6 Dec 2026", "2026年11月30日–12月6日"),
    (
        date(2026, 12, 29),
        date(2027, 1, 4),
        "29 Dec 2026 – 4 Jan 2027",
        "2026年12月29日–2027年1月4日",
    ),
    (date(2026, 7, 15), date(2026, 7, 15), "15 Jul 2026", "2026年7月15日"),
]


@pytest.mark.parametrize("start, end, english, chinese", SPANS)
def test_a_span_writes_what_its_ends_share_once(start, end, english, chinese):
    with translation.override("en"):
        assert dates.span(start, end) == english
    with translation.override("zh-hans"):
        assert dates.span(start, end) == chinese


def test_a_chart_axis_leaves_the_year_out():
    with translation.override("en"):
        assert dates.span(date(2026, 11, 30), date(2026, 12, 6), year=False) == "30 Nov – 6 Dec"
        assert dates.day(date(2026, 11, 23), year=False) == "23 Nov"
    with translation.override("zh-hans"):
        assert dates.span(date(2026, 11, 23), date(2026, 11, 29), year=False) == "11月23日–29日"
