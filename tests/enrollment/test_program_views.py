from datetime import time

import pytest
from django.urls import reverse

from enrollment.models import ClosedDay, Factory, OpeningHours, Site, Term


def site_post(**overrides):
    data = {
        "name": "新星暑期空间",
        "kind": "ffs",
        "capacity": "80",
        "min_age": "3",
        "max_age": "14",
        "address": "A栋",
        "rooms-TOTAL_FORMS": "2",
        "rooms-INITIAL_FORMS": "0",
        "rooms-MIN_NUM_FORMS": "0",
        "rooms-MAX_NUM_FORMS": "12",
        "rooms-0-name": "幼儿组",
        "rooms-0-min_age": "3",
        "rooms-0-max_age": "5",
    }
    for day in range(6):
        data |= {f"open_{day}": "on", f"opens_{day}": "07:30", f"closes_{day}": "18:00"}
    data.update(overrides)
    return data


def test_a_coordinator_adds_a_factory_a_site_and_a_term(client, coordinator):
    coordinator.all_factories = True
    coordinator.save()
    client.force_login(coordinator)
    client.post(
        reverse("program:factory_create"),
        {"name": "汕头澄海玩具厂", "code": "st-chenghai", "city": "汕头", "province": "guangdong"},
    )
    factory = Factory.objects.get(code="st-chenghai")
    response = client.post(
        reverse("program:site_create", kwargs={"factory": factory.pk}), site_post()
    )
    assert response.status_code == 302
    site = Site.objects.get(factory=factory)
    assert OpeningHours.objects.filter(site=site).count() == 6
    assert site.opening_hours.get(weekday=5).closes == time(18, 0)
    assert list(site.rooms.values_list("name", flat=True)) == ["幼儿组"]
    client.post(
        reverse("program:term_create", kwargs={"site": site.pk}),
        {
            "name": "2027年暑期",
            "starts_on": "2027-07-05",
            "ends_on": "2027-08-27",
            "closed_days": "2027-08-01\n\n2027-08-01",
        },
    )
    term = Term.objects.get(site=site)
    assert list(ClosedDay.objects.filter(term=term).values_list("date", flat=True)) == [
        term.starts_on.replace(month=8, day=1)
    ]


@pytest.mark.parametrize(
    "override,message",
    [
        ({"capacity": "0"}, "至少需要一个名额"),
        ({"min_age": "10", "max_age": "5"}, "最大年龄小于最小年龄"),
        ({"closes_2": "07:00"}, "关闭时间早于开放时间"),
    ],
)
def test_bad_site_input_is_explained_and_nothing_saved(
    client, coordinator, factory_a, override, message
):
    client.force_login(coordinator)
    response = client.post(
        reverse("program:site_create", kwargs={"factory": factory_a.pk}), site_post(**override)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Site.objects.filter(factory=factory_a).exists()


def test_a_closed_day_outside_the_term_or_not_a_date_is_refused(client, coordinator, site_a):
    client.force_login(coordinator)
    url = reverse("program:term_create", kwargs={"site": site_a.pk})
    for closed, message in (("2027-09-30", "不在学期之内"), ("8月1日", "不是日期")):
        response = client.post(
            url,
            {
                "name": "2027年暑期",
                "starts_on": "2027-07-05",
                "ends_on": "2027-08-27",
                "closed_days": closed,
            },
        )
        assert message in response.content.decode()
    assert not Term.objects.exists()


def test_hr_and_childcare_workers_do_not_manage_the_program(client, hr, carer):
    for user in (hr, carer):
        client.force_login(user)
        assert client.get(reverse("program:overview")).status_code == 403


def test_a_coordinator_sees_only_their_factories(client, coordinator, factory_a, factory_b):
    client.force_login(coordinator)
    page = client.get(reverse("program:overview")).content.decode()
    assert factory_a.name in page and factory_b.name not in page
