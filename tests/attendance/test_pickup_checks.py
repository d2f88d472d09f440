"""Pickup you can verify: the adult's pickup code where the site asks for it, a signature on
the tablet, and the refusal recorded when the code is wrong."""

import base64
import uuid

import pytest
from django.urls import reverse
from django.utils import translation

from attendance import services
from attendance.models import AttendanceRecord, AttendanceStatus, RefusalReason, RefusedPickup
from tests.factories import PickupPermissionFactory, enrolled_child, tiny_png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def child(term_a, carer, site_a):
    child = enrolled_child(term_a, name="王小明")
    services.check_in(site=site_a, child=child, by=carer)
    return child


@pytest.fixture
def grandma(child):
    return PickupPermissionFactory(child=child, adult__name="李秀英").adult


@pytest.fixture
def codes_asked(site_a):
    site_a.pickup_code_required = True
    site_a.save(update_fields=["pickup_code_required"])
    return site_a


def test_codes_are_four_digits_each_their_own(grandma, child):
    parent = child.family.workers.get()
    assert grandma.pickup_code.isdigit() and len(grandma.pickup_code) == 4
    assert parent.pickup_code.isdigit() and len(parent.pickup_code) == 4


def test_without_codes_asked_none_is_needed(site_a, child, grandma, carer):
    result = services.check_out(site=site_a, child=child, collector=grandma, by=carer)
    assert result.record.status == AttendanceStatus.COLLECTED
    assert not result.record.pickup_code_checked


def test_the_right_code_hands_the_child_over(codes_asked, child, grandma, carer):
    result = services.check_out(
        site=codes_asked, child=child, collector=grandma, by=carer, pickup_code=grandma.pickup_code
    )
    assert result.record.status == AttendanceStatus.COLLECTED
    assert result.record.pickup_code_checked


def test_no_code_typed_asks_for_it_and_changes_nothing(codes_asked, child, grandma, carer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="pickup code"):
        services.check_out(site=codes_asked, child=child, collector=grandma, by=carer)
    assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT
    assert not RefusedPickup.objects.exists()


def test_a_wrong_code_is_a_recorded_refusal_and_a_retry_is_the_same_refusal(
    codes_asked, child, grandma, carer
):
    wrong = f"{(int(grandma.pickup_code) + 1) % 10000:04d}"
    key = uuid.uuid4()
    for _ in range(2):
        result = services.check_out(
            site=codes_asked,
            child=child,
            collector=grandma,
            by=carer,
            key=key,
            pickup_code=wrong,
        )
        assert result.refusal is not None and result.refusal.reason == RefusalReason.WRONG_CODE
        assert result.record.status == AttendanceStatus.PRESENT
    assert RefusedPickup.objects.count() == 1
    assert "not their pickup code" in services.refusal_message(
        RefusalReason.WRONG_CODE, grandma.name, child
    )


def test_a_code_of_another_childs_adult_is_refused(codes_asked, child, grandma, carer, term_a):
    other = enrolled_child(term_a, name="李梓涵")
    stranger = PickupPermissionFactory(child=other, adult__name="孙强").adult
    stranger.pickup_code = "4321"
    stranger.save(update_fields=["pickup_code"])
    grandma.pickup_code = "1234"
    grandma.save(update_fields=["pickup_code"])
    result = services.check_out(
        site=codes_asked, child=child, collector=grandma, by=carer, pickup_code="4321"
    )
    assert result.refusal.reason == RefusalReason.WRONG_CODE
    assert AttendanceRecord.objects.get(child=child).status == AttendanceStatus.PRESENT


def test_the_sheet_asks_for_the_code_only_where_the_site_does(client, carer, site_a, child):
    client.force_login(carer)
    sheet = reverse("attendance:child_sheet", kwargs={"site": site_a.pk, "child": child.key})
    assert 'name="pickup_code"' not in client.get(sheet).content.decode()
    site_a.pickup_code_required = True
    site_a.save(update_fields=["pickup_code_required"])
    assert 'name="pickup_code"' in client.get(sheet).content.decode()


class TestSignature:
    @pytest.fixture
    def signature_asked(self, site_a):
        site_a.pickup_signature = True
        site_a.save(update_fields=["pickup_signature"])
        return site_a

    def test_a_hand_over_without_a_signature_asks_for_one(
        self, signature_asked, child, grandma, carer
    ):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError, match="sign"):
            services.check_out(site=signature_asked, child=child, collector=grandma, by=carer)
        assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT

    def test_something_that_is_not_a_drawing_is_refused(
        self, signature_asked, child, grandma, carer
    ):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError, match="signature"):
            services.check_out(
                site=signature_asked,
                child=child,
                collector=grandma,
                by=carer,
                signature=b"<svg onload=alert(1)>",
            )
        assert AttendanceRecord.objects.get().status == AttendanceStatus.PRESENT

    def test_the_signature_is_kept_and_shown_on_the_day_sheet(
        self, client, signature_asked, child, grandma, carer
    ):
        client.force_login(carer)
        drawing = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
        check_out = reverse(
            "attendance:check_out", kwargs={"site": signature_asked.pk, "child": child.key}
        )
        response = client.post(
            check_out,
            {"idem": str(uuid.uuid4()), "collector": f"adult:{grandma.pk}", "signature": drawing},
        )
        assert response.status_code == 200
        record = AttendanceRecord.objects.get()
        assert record.status == AttendanceStatus.COLLECTED and record.collector_signature
        sheet = client.get(reverse("attendance:day_sheet", kwargs={"site": signature_asked.pk}))
        image = reverse(
            "attendance:signature", kwargs={"site": signature_asked.pk, "record": record.pk}
        )
        assert image in sheet.content.decode()
        answer = client.get(image)
        assert answer["Content-Type"] == "image/png"
        assert b"".join(answer.streaming_content) == tiny_png()

    def test_another_factorys_carer_does_not_see_it(
        self, client, signature_asked, child, grandma, carer, site_b
    ):
        from tests.factories import UserFactory

        services.check_out(
            site=signature_asked, child=child, collector=grandma, by=carer, signature=tiny_png()
        )
        record = AttendanceRecord.objects.get()
        client.force_login(UserFactory(sites=[site_b]))
        image = reverse(
            "attendance:signature", kwargs={"site": signature_asked.pk, "record": record.pk}
        )
        assert client.get(image).status_code == 404
