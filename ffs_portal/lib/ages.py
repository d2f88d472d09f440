"""A person's age in whole years."""

from datetime import date


def age_on(born: date, day: date) -> int:
    """Age on ``day`` of someone born on ``born``; a child born on 29 February turns a year
    older on 1 March in other years."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
