from datetime import date, datetime, timedelta

import pytest

from staff.ratio import AMBER, GREEN, RED, Band, assess, minutes_over


@pytest.mark.parametrize(
    "ages,staff,state,needed",
    [
        ([], 0, GREEN, 0),  # nobody to look after
        ([], 1, GREEN, 0),
        ([4], 0, RED, 2),  # children and no staff
        ([4], 1, RED, 2),  # always two adults when children are present
        ([4], 2, GREEN, 2),
        ([4] * 14, 2, GREEN, 2),  # 1.75 adults: below 90% of 2
        ([4] * 15, 2, AMBER, 2),  # 1.875: within 10% of the limit
        ([4] * 16, 2, AMBER, 2),  # exactly at the limit: not over it
        ([4] * 17, 2, RED, 3),  # one over
        ([9] * 30, 2, AMBER, 2),
        ([9] * 31, 2, RED, 3),
        ([4] * 8 + [9] * 15, 2, AMBER, 2),  # mixed ages add up: 1 + 1
        ([4] * 9 + [9] * 15, 2, RED, 3),
        ([4] * 8 + [9] * 15, 3, GREEN, 2),
    ],
)
def test_the_ratio_at_its_edges(ages, staff, state, needed):
    result = assess(ages, staff)
    assert (result.state, result.adults_needed) == (state, needed)


def test_an_age_outside_every_band_takes_the_strictest():
    bands = [Band(3, 5, 8), Band(6, 14, 15)]
    assert assess([2] * 17, 3, bands).adults_needed == 3
    assert assess([16] * 17, 3, bands).adults_needed == 3


def test_short_by_says_how_many_adults_to_call():
    assert assess([4] * 20, 1).short_by == 2


T0 = datetime(2026, 7, 15, 8, 0)


def t(minutes):
    return T0 + timedelta(minutes=minutes)


def test_minutes_over_ratio_follow_check_ins_and_clock_ins():
    staff = [(t(0), t(240)), (t(30), None)]  # the second adult arrives half an hour late
    children = [(t(10), t(200), 4)] + [(t(15), None, 9)]
    # 08:10–08:30 one adult with children: red; from 08:30 two adults: green;
    # from 12:00 (t=240) the first adult leaves: red until the end (t=300).
    assert minutes_over(children, staff, until=t(300)) == 20 + 60


def test_minutes_over_ratio_count_a_group_check_in_until_help_arrives():
    staff = [(t(0), None), (t(0), None), (t(45), None)]
    group = [(t(20), None, 4) for _ in range(17)]
    assert minutes_over(group, staff, until=t(120)) == 25


def test_no_children_no_minutes_over():
    assert minutes_over([], [(t(0), None)], until=t(60)) == 0
    assert minutes_over([], [], until=t(60)) == 0


def test_a_day_without_staff_is_red_while_children_are_there():
    assert minutes_over([(t(0), t(90), 8)], [], until=t(600)) == 90


def test_date_of_birth_ages():
    from ffs_portal.lib.ages import age_on

    assert age_on(date(2020, 7, 16), date(2026, 7, 15)) == 5
    assert age_on(date(2020, 7, 15), date(2026, 7, 15)) == 6
