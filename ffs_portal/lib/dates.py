"""Dates as people write them, in the active language: one day, and a span of days with
what the two ends share written once ("23–29 Nov 2026", "2026年11月23日–29日")."""

from datetime import date

from django.utils.translation import get_language

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _chinese() -> bool:
    return (get_language() or "").startswith("zh")


def day(value: date, *, year: bool = True) -> str:
    """ "23 Nov 2026" / "2026年11月23日"; without the year: "23 Nov" / "11月23日"."""
    if _chinese():
        return (
            f"{value.year}年{value.month}月{value.day}日"
            if year
            else f"{value.month}月{value.day}日"
        )
    text = f"{value.day} {MONTHS[value.month - 1]}"
    return f"{text} {value.year}" if year else text


def span(start: date, end: date, *, year: bool = True) -> str:
    """ "23–29 Nov 2026", "30 Nov – 6 Dec 2026", "29 Dec 2026 – 4 Jan 2027"; in Chinese
    "2026年11月23日–29日", "2026年11月30日–12月6日", "2026年12月29日–2027年1月4日"."""
    if start == end:
        return day(start, year=year)
    same_year = start.year == end.year
    same_month = same_year and start.month == end.month
    if _chinese():
        first = day(start, year=year)
        if same_month:
            return f"{first}–{end.day}日"
        return f"{first}–{day(end, year=year and not same_year)}"
    if same_month:
        return f"{start.day}–{day(end, year=year)}"
    return f"{day(start, year=year and not same_year)} – {day(end, year=year)}"
