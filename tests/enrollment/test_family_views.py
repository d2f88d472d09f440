from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from enrollment.cards import qr_svg
from enrollment.models import Child, Enrollment, Family, Worker
from ffs_portal.models import AuditEntry
from tests.factories import (
    AdultFactory,
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    WorkerFactory,
    enrolled_child,
)


def families(factory, count):
    made = []
    for _ in range(count):
        family = FamilyFactory(factory=factory)
        WorkerFactory(family=family)
        child = ChildFactory(family=family, allergies="花生")
        ConsentFactory(child=child)
        ChildFactory(family=family)
        made.append(family)
    return made


class TestFamilyList:
    def test_hr_sees_their_factorys_families_only(self, client, hr, term_a, term_b):
        ours = enrolled_child(term_a, name="王小明")
        enrolled_child(term_b, name="赵雨桐")
        client.force_login(hr)
        page = client.get(reverse("enrollment:family_list")).content.decode()
        assert ours.name in page and "赵雨桐" not in page

    @pytest.mark.parametrize("query", ["王小明", "wxm", "wangxiao", "XH00077", "13700001111"])
    def test_it_finds_a_family_by_name_pinyin_employee_no_or_mobile(
        self, client, hr, factory_a, query
    ):
        family = FamilyFactory(factory=factory_a)
        WorkerFactory(family=family, employee_no="XH00077", mobile="13700001111", name="王建华")
        ChildFactory(family=family, name="王小明")
        other = FamilyFactory(factory=factory_a)
        ChildFactory(family=other, name="赵雨桐")
        client.force_login(hr)
        response = client.get(reverse("enrollment:family_list"), {"q": query})
        assert list(response.context["families"]) == [family]

    def test_the_search_answers_htmx_with_the_results_only(self, client, hr, factory_a):
        made = families(factory_a, 2)
        client.force_login(hr)
        # A family name the search finds (factory names follow a sequence shared by all tests).
        surname = made[0].workers.get().name[0]
        response = client.get(
            reverse("enrollment:family_list"),
            {"q": surname},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="family-results",
        )
        body = response.content.decode()
        assert "<html" not in body and "family-table" in body

    def test_missing_consent_stands_out_and_can_be_filtered(self, client, hr, factory_a):
        complete, missing = families(factory_a, 2)
        complete.children.get(consents__isnull=True).consents.create(
            given_by="王",
            given_by_relation="father",
            text_version="1",
            given_on=timezone.localdate(),
        )
        client.force_login(hr)
        response = client.get(reverse("enrollment:family_list"), {"consent_missing": "on"})
        assert list(response.context["families"]) == [missing]
        assert "badge-missing" in response.content.decode()

    def test_its_query_count_does_not_grow_with_the_families(
        self, client, hr, factory_a, django_assert_max_num_queries
    ):
        client.force_login(hr)
        families(factory_a, 3)
        with django_assert_max_num_queries(12) as few:
            client.get(reverse("enrollment:family_list"))
        families(factory_a, 30)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(reverse("enrollment:family_list"))
        assert len(response.context["families"]) == 33

    def test_a_childcare_worker_has_no_family_pages(self, client, carer):
        client.force_login(carer)
        assert client.get(reverse("enrollment:family_list")).status_code == 403

    def test_a_coordinator_reads_but_does_not_register(self, client, coordinator, term_a):
        enrolled_child(term_a)
        client.force_login(coordinator)
        page = client.get(reverse("enrollment:family_list"))
        assert page.status_code == 200
        assert reverse("enrollment:family_create") not in page.content.decode()
        assert client.get(reverse("enrollment:family_create")).status_code == 403


class TestFamilyPage:
    def test_it_shows_workers_children_pickups_consent_and_enrolments(self, client, hr, term_a):
        child = enrolled_child(term_a, name="王小明", allergies="花生")
        grandmother = AdultFactory(family=child.family, name="张秀英")
        refused = AdultFactory(family=child.family, name="王大壮", relation="uncle")
        child.pickups.create(adult=grandmother, allowed=True)
        child.pickups.create(adult=refused, allowed=False)
        client.force_login(hr)
        page = client.get(child.family.get_absolute_url()).content.decode()
        for text in ("王小明", "花生", "张秀英", "王大壮", "pickup-refused", term_a.name, "已录取"):
            assert text in page

    def test_viewing_it_is_recorded_for_each_child(self, client, hr, term_a):
        child = enrolled_child(term_a)
        sibling = ChildFactory(family=child.family)
        client.force_login(hr)
        client.get(child.family.get_absolute_url())
        viewed = AuditEntry.objects.filter(action="child.viewed", actor=hr)
        assert set(viewed.values_list("child", flat=True)) == {child.pk, sibling.pk}

    def test_its_query_count_does_not_grow_with_the_children(
        self, client, hr, term_a, django_assert_max_num_queries
    ):
        child = enrolled_child(term_a)
        family = child.family
        client.force_login(hr)
        with django_assert_max_num_queries(20) as few:
            client.get(family.get_absolute_url())
        for _ in range(6):
            extra = ChildFactory(family=family)
            ConsentFactory(child=extra)
            extra.pickups.create(adult=AdultFactory(family=family))
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(family.get_absolute_url())

    def test_no_child_name_or_database_id_is_in_its_url(self, hr, term_a):
        child = enrolled_child(term_a, name="王小明")
        url = child.family.get_absolute_url()
        assert "王" not in url and f"/{child.pk}/" not in url and f"/{child.family.pk}/" not in url


class TestRegistration:
    def test_hr_registers_a_family_then_a_child(self, client, hr, factory_a):
        client.force_login(hr)
        response = client.post(
            reverse("enrollment:family_create"),
            {
                "employee_no": "XH10001",
                "name": "王建华",
                "mobile": "13812345678",
                "hukou_province": "sichuan",
            },
        )
        family = Family.objects.get(factory=factory_a)
        assert response["Location"] == family.get_absolute_url()
        response = client.post(
            reverse("enrollment:child_create", kwargs={"family": family.key}),
            {"name": "王𠮷明", "sex": "m", "date_of_birth": "2019-05-01", "allergies": "花生"},
        )
        assert response.status_code == 302
        assert Child.objects.get(family=family).name == "王𠮷明"

    def test_a_bad_mobile_is_explained_and_nothing_is_saved(self, client, hr):
        client.force_login(hr)
        response = client.post(
            reverse("enrollment:family_create"),
            {"employee_no": "XH10001", "name": "王建华", "mobile": "02012345678"},
        )
        assert response.status_code == 200
        assert "不是以 1 开头" in response.content.decode()
        assert not Family.objects.exists() and not Worker.objects.exists()

    def test_a_duplicate_employee_number_is_explained_on_its_field(self, client, hr, factory_a):
        WorkerFactory(family=FamilyFactory(factory=factory_a), employee_no="XH10001")
        client.force_login(hr)
        response = client.post(
            reverse("enrollment:family_create"),
            {"employee_no": "XH10001", "name": "王建华", "mobile": "13812345678"},
        )
        assert "XH10001" in str(response.context["form"].errors["employee_no"])
        assert Family.objects.count() == 1

    def test_a_future_date_of_birth_is_refused(self, client, hr, factory_a):
        family = FamilyFactory(factory=factory_a)
        client.force_login(hr)
        tomorrow = timezone.localdate() + timedelta(days=1)
        response = client.post(
            reverse("enrollment:child_create", kwargs={"family": family.key}),
            {"name": "王小明", "sex": "m", "date_of_birth": tomorrow.isoformat()},
        )
        assert response.status_code == 200
        assert "出生日期不能晚于今天" in response.content.decode()
        assert not Child.objects.exists()

    def test_an_adult_on_both_lists_is_refused(self, client, hr, factory_a):
        family = FamilyFactory(factory=factory_a)
        child = ChildFactory(family=family)
        client.force_login(hr)
        response = client.post(
            reverse("enrollment:adult_create", kwargs={"family": family.key}),
            {
                "name": "张秀英",
                "relation": "grandmother",
                "mobile": "13912345678",
                "may_collect": [child.pk],
                "must_not_collect": [child.pk],
            },
        )
        assert response.status_code == 200
        assert not family.adults.exists()

    def test_a_grandmother_may_collect_both_children(self, client, hr, factory_a):
        family = FamilyFactory(factory=factory_a)
        children = [ChildFactory(family=family), ChildFactory(family=family)]
        client.force_login(hr)
        client.post(
            reverse("enrollment:adult_create", kwargs={"family": family.key}),
            {
                "name": "张秀英",
                "relation": "grandmother",
                "mobile": "13912345678",
                "is_guardian": "on",
                "may_collect": [c.pk for c in children],
            },
        )
        grandmother = family.adults.get()
        assert [c.pickups.get().adult for c in children] == [grandmother, grandmother]

    def test_consent_then_enrolment_from_the_pages(self, client, hr, term_a):
        family = FamilyFactory(factory=term_a.site.factory)
        WorkerFactory(family=family, name="王建华")
        child = ChildFactory(family=family)
        client.force_login(hr)
        client.post(
            reverse("enrollment:consent_record", kwargs={"child": child.key}),
            {
                "children": [child.pk],
                "given_by": "王建华",
                "given_by_relation": "father",
                "given_on": timezone.localdate().isoformat(),
                "covers_care": "on",
            },
        )
        assert child.consents.get().given_by == "王建华"
        response = client.post(
            reverse("enrollment:enroll", kwargs={"child": child.key}),
            {"term": term_a.pk, "children": [child.pk]},
        )
        assert response.status_code == 302
        assert child.enrollments.get().status == "enrolled"

    def test_enrolling_without_consent_says_why(self, client, hr, term_a):
        family = FamilyFactory(factory=term_a.site.factory)
        WorkerFactory(family=family)
        child = ChildFactory(family=family, name="王小明")
        client.force_login(hr)
        response = client.post(
            reverse("enrollment:enroll", kwargs={"child": child.key}),
            {"term": term_a.pk, "children": [child.pk]},
        )
        assert response.status_code == 200
        assert "王小明 还没有监护人同意书" in response.content.decode()
        assert not Enrollment.objects.exists()

    def test_another_factorys_term_cannot_be_chosen(self, client, hr, term_a, term_b):
        child = ChildFactory(family=FamilyFactory(factory=term_a.site.factory))
        client.force_login(hr)
        response = client.post(
            reverse("enrollment:enroll", kwargs={"child": child.key}), {"term": term_b.pk}
        )
        assert response.status_code == 200 and not Enrollment.objects.exists()

    def test_withdrawing_gives_the_place_to_the_waitlist(self, client, hr, term_a):
        term_a.site.capacity = 1
        term_a.site.save()
        first = enrolled_child(term_a)
        waiting = enrolled_child(term_a)
        waiting.enrollments.update(status="waitlisted")
        client.force_login(hr)
        response = client.post(
            reverse(
                "enrollment:enrollment_withdraw", kwargs={"enrollment": first.enrollments.get().key}
            ),
            follow=True,
        )
        assert waiting.enrollments.get().status == "enrolled"
        assert waiting.name in response.content.decode()


def jpeg_upload(size=(1600, 1200)):
    out = BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format="JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


class TestPhotos:
    def test_a_photo_is_shrunk_and_served_only_through_the_access_check(
        self, client, hr, term_a, outsiders
    ):
        child = enrolled_child(term_a)
        client.force_login(hr)
        response = client.post(
            reverse("enrollment:child_edit", kwargs={"child": child.key}),
            {
                "name": child.name,
                "sex": child.sex,
                "date_of_birth": child.date_of_birth.isoformat(),
                "photo": jpeg_upload(),
            },
        )
        assert response.status_code == 302
        child.refresh_from_db()
        assert max(Image.open(child.photo.path).size) <= 480
        url = reverse("enrollment:child_photo", kwargs={"child": child.key})
        assert client.get(url)["Content-Type"] == "image/jpeg"
        client.force_login(outsiders["hr"])
        assert client.get(url).status_code == 404
        client.logout()
        assert client.get(url).status_code == 302

    def test_a_photo_needs_consent_to_photos(self, client, hr, term_a):
        child = enrolled_child(term_a)
        child.consents.update(covers_photos=False)
        client.force_login(hr)
        client.post(
            reverse("enrollment:child_edit", kwargs={"child": child.key}),
            {
                "name": child.name,
                "sex": child.sex,
                "date_of_birth": child.date_of_birth.isoformat(),
                "photo": jpeg_upload(),
            },
        )
        child.refresh_from_db()
        assert not child.photo

    def test_a_file_that_is_not_a_photo_is_refused(self, client, hr, term_a):
        child = enrolled_child(term_a)
        client.force_login(hr)
        fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
        response = client.post(
            reverse("enrollment:child_edit", kwargs={"child": child.key}),
            {
                "name": child.name,
                "sex": child.sex,
                "date_of_birth": child.date_of_birth.isoformat(),
                "photo": fake,
            },
        )
        assert response.status_code == 200
        child.refresh_from_db()
        assert not child.photo


class TestCards:
    def test_cards_hold_an_opaque_token_not_the_childs_name(self, client, hr, term_a):
        child = enrolled_child(term_a, name="王小明")
        client.force_login(hr)
        page = client.get(
            reverse("enrollment:family_cards", kwargs={"family": child.family.key})
        ).content.decode()
        assert qr_svg(child.card_token) in page
        assert qr_svg(child.name) not in page and qr_svg(str(child.key)) not in page
        assert "王小明" in page and term_a.site.name in page
        assert AuditEntry.objects.filter(child=child, action="child.card_printed").exists()

    def test_a_terms_cards_cost_a_constant_number_of_queries(
        self, client, hr, term_a, django_assert_max_num_queries
    ):
        for _ in range(3):
            enrolled_child(term_a)
        client.force_login(hr)
        url = reverse("enrollment:term_cards", kwargs={"term": term_a.pk})
        with django_assert_max_num_queries(15) as few:
            client.get(url)
        for _ in range(9):
            enrolled_child(term_a)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(url).content.decode().count("child-id-card") == 12


class TestPickupCards:
    """The family's pickup cards, new codes for lost cards, and the list of photos to take."""

    def test_the_cards_show_each_collector_with_their_code(self, client, hr, term_a):
        from tests.factories import PickupPermissionFactory, enrolled_child

        child = enrolled_child(term_a, name="王小明")
        grandma = PickupPermissionFactory(child=child, adult__name="李秀英").adult
        PickupPermissionFactory(child=child, adult__name="赵二", allowed=False)
        client.force_login(hr)
        page = client.get(
            reverse("enrollment:family_pickup_cards", kwargs={"family": child.family.key})
        ).content.decode()
        parent = child.family.workers.get()
        assert grandma.pickup_code in page and parent.pickup_code in page
        assert "赵二" not in page  # who must not collect gets no card
        assert AuditEntry.objects.filter(action="family.pickup_cards_printed").exists()

    def test_a_lost_card_gets_a_new_code_and_the_old_one_stops(self, client, hr, term_a, carer):
        from attendance import services as attendance_services
        from tests.factories import PickupPermissionFactory, enrolled_child

        child = enrolled_child(term_a)
        grandma = PickupPermissionFactory(child=child, adult__name="李秀英").adult
        old = grandma.pickup_code
        client.force_login(hr)
        response = client.post(
            reverse("enrollment:pickup_code_renew", kwargs={"family": child.family.key}),
            {"person": f"adult:{grandma.pk}"},
        )
        assert response.status_code == 302
        grandma.refresh_from_db()
        assert grandma.pickup_code != old
        assert AuditEntry.objects.filter(action="pickup_code.renewed").exists()
        site = term_a.site
        site.pickup_code_required = True
        site.save(update_fields=["pickup_code_required"])
        attendance_services.check_in(site=site, child=child, by=carer)
        result = attendance_services.check_out(
            site=site, child=child, collector=grandma, by=carer, pickup_code=old
        )
        assert result.refusal is not None

    def test_another_familys_adult_cannot_be_given_a_code(self, client, hr, term_a):
        from tests.factories import PickupPermissionFactory, enrolled_child

        ours, theirs = enrolled_child(term_a), enrolled_child(term_a)
        stranger = PickupPermissionFactory(child=theirs).adult
        client.force_login(hr)
        response = client.post(
            reverse("enrollment:pickup_code_renew", kwargs={"family": ours.family.key}),
            {"person": f"adult:{stranger.pk}"},
        )
        assert response.status_code == 404

    def test_hr_sees_the_adults_who_have_no_photo(self, client, hr, term_a):
        from tests.factories import PickupPermissionFactory, enrolled_child, tiny_jpeg

        child = enrolled_child(term_a)
        without = PickupPermissionFactory(child=child, adult__name="李秀英").adult
        pictured = PickupPermissionFactory(child=child, adult__name="王建国").adult
        pictured.photo.save("p.jpg", tiny_jpeg())
        client.force_login(hr)
        page = client.get(reverse("enrollment:photos_missing")).content.decode()
        assert without.name in page and pictured.name not in page
        family = client.get(
            reverse("enrollment:family_detail", kwargs={"family": child.family.key})
        ).content.decode()
        assert "badge-missing" in family
