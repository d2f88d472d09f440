"""What HR types is kept as they meant it: mobiles however written, never cut; employee
numbers compared as the factory means them; no hire date in the future; a sentence a
person can act on for every constraint; card codes typed as printed."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from enrollment import services
from enrollment.forms import ChildForm, ConsentForm, QuickChildForm, WorkerForm
from enrollment.models import Child, Worker, card_read, new_card_code
from ffs_portal.lib.mobiles import read_mobile
from tests.factories import ChildFactory, FamilyFactory, WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    "typed",
    ["13912345678", "+86 139 1234 5678", "139-1234-5678", "0086 13912345678",
     "８６１３９１２３４５６７８", "１３９ １２３４ ５６７８", "(139) 1234-5678"],
)  # fmt: skip
def test_a_mobile_is_read_however_it_is_written(typed):
    assert read_mobile(typed) == "13912345678"


def test_a_twelfth_digit_is_said_not_cut():
    with pytest.raises(ValidationError) as error:
        read_mobile("139123456789")
    assert "多了一位" in error.value.messages[0] and "139123456789" in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        read_mobile("1391234567")
    assert "少了一位" in error.value.messages[0]


def test_the_form_keeps_the_number_typed_and_has_no_maxlength_to_cut_it():
    form = WorkerForm({"employee_no": "XH1", "name": "王建华", "mobile": "+86 139 1234 5678"})
    assert 'maxlength="11"' not in str(form["mobile"])
    assert form.is_valid(), form.errors
    assert form.cleaned_data["mobile"] == "13912345678"
    cut = WorkerForm({"employee_no": "XH1", "name": "王建华", "mobile": "139123456789"})
    assert not cut.is_valid() and "多了一位" in cut.errors["mobile"][0]


def test_an_employee_number_is_unique_in_the_factory_whatever_its_case(factory_a, hr):
    family = FamilyFactory(factory=factory_a)
    WorkerFactory(family=family, employee_no="TL00001")
    with pytest.raises(ValidationError) as error:
        services.family_register(
            factory=factory_a, by=hr, employee_no="tl00001", name="李", mobile="13800000000"
        )
    assert "TL00001" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Worker.objects.create(
            factory=factory_a, employee_no="tl00001", name="李", mobile="13800000000"
        )


def test_a_hire_date_in_the_future_is_refused(client, hr):
    client.force_login(hr)
    response = client.post(
        reverse("enrollment:family_create"),
        {
            "employee_no": "XH10001",
            "name": "王建华",
            "mobile": "13812345678",
            "hire_date": (timezone.localdate() + timedelta(days=400)).isoformat(),
        },
    )
    assert "入职日期在未来" in response.content.decode()
    assert not Worker.objects.exists()


def test_a_constraint_broken_reads_as_a_sentence_not_its_name(factory_a):
    family = FamilyFactory(factory=factory_a)
    worker = Worker(
        factory=factory_a,
        family=family,
        employee_no="XH1",
        name="王",
        mobile="13800000000",
        hire_date=timezone.localdate(),
        leave_date=timezone.localdate() - timedelta(days=3),
    )
    with pytest.raises(ValidationError) as error:
        worker.full_clean()
    said = " ".join(error.value.messages)
    assert "worker_leaves_after_hire" not in said and "离职日期早于入职日期" in said


def test_every_constraint_of_the_family_models_has_a_message_of_its_own():
    from django.apps import apps

    for model in apps.get_app_config("enrollment").get_models():
        if model._meta.app_label != "enrollment":
            continue
        for constraint in model._meta.constraints:
            assert constraint.violation_error_message, f"{model.__name__}.{constraint.name}"


def test_a_long_childs_name_is_said_on_the_name_never_on_a_hidden_field(factory_a, hr):
    family = FamilyFactory(factory=factory_a)
    long_name = "王" * 60
    form = ChildForm({"name": long_name, "sex": "m", "date_of_birth": "2019-05-01"})
    assert not form.is_valid()
    assert list(form.errors) == ["name"] and "最多只能填 50 个" in form.errors["name"][0]
    child = services.child_save(
        family=family, by=hr, name="王" * 50, sex="m", date_of_birth=timezone.localdate()
    )
    assert len(child.name_pinyin) <= 200


def test_the_forms_say_choose_and_preselect_no_empty_radio(factory_a):
    child_form = str(QuickChildForm(prefix="c"))
    assert "---------" not in str(ChildForm()) and "请选择" in str(ChildForm())
    assert 'value=""' not in child_form.split('name="c-sex"')[1][:40]
    consent = ConsentForm(children=Child.objects.none())
    assert consent.fields["given_by_relation"].choices[0] == ("", "请选择")
    assert consent["given_by_relation"].value() in (None, "")


def test_summer_fields_are_hidden_at_a_factory_of_after_school_sites_only(client, hr, factory_a):
    from tests.factories import SiteFactory

    SiteFactory(factory=factory_a, kind="asc")
    family = FamilyFactory(factory=factory_a)
    client.force_login(hr)
    page = client.get(reverse("enrollment:child_create", kwargs={"family": family.key}))
    assert "arrival_date" not in page.content.decode()
    SiteFactory(factory=factory_a, kind="ffs")
    page = client.get(reverse("enrollment:child_create", kwargs={"family": family.key}))
    assert "arrival_date" in page.content.decode()


def test_a_card_code_is_read_as_typed_and_has_no_confusable_characters(factory_a):
    child = ChildFactory(family=FamilyFactory(factory=factory_a))
    code = child.card_code
    assert len(code) == 6 and not set(code) & set("0O1lIL")
    typed = f" {code[:3].lower()}-{code[3:]} "
    assert Child.objects.get(card_read(typed)) == child
    assert Child.objects.get(card_read(child.card_token)) == child
    assert not Child.objects.filter(card_read("ABC")).exists()
    assert all(not set(new_card_code()) & set("0O1lIL") for _ in range(200))


def test_a_reissued_card_stops_the_old_code_and_is_recorded(client, hr, factory_a):
    from ffs_portal.models import AuditEntry

    child = ChildFactory(family=FamilyFactory(factory=factory_a), name="王小明")
    old_code, old_token = child.card_code, child.card_token
    client.force_login(hr)
    response = client.post(reverse("enrollment:card_reissue", kwargs={"child": child.key}))
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.card_code != old_code and child.card_token != old_token
    assert not Child.objects.filter(card_read(old_code)).exists()
    assert AuditEntry.objects.filter(action="child.card_reissued", child=child).exists()
    assert (
        client.get(reverse("enrollment:card_reissue", kwargs={"child": child.key})).status_code
        == 405
    )
