from django.urls import path

from enrollment import views
from enrollment.roster import views as roster

app_name = "enrollment"

urlpatterns = [
    path("", views.family_list, name="family_list"),
    path("new/", views.family_create, name="family_create"),
    path("<uuid:family>/", views.family_detail, name="family_detail"),
    path("<uuid:family>/workers/new/", views.worker_edit, name="worker_create"),
    path(
        "<uuid:family>/parent-links/revoke/",
        views.parent_links_revoke,
        name="parent_links_revoke",
    ),
    path("<uuid:family>/workers/<int:worker>/", views.worker_edit, name="worker_edit"),
    path("<uuid:family>/children/new/", views.child_create, name="child_create"),
    path("<uuid:family>/adults/", views.family_adults, name="family_adults"),
    path("<uuid:family>/consent/", views.family_consent, name="family_consent"),
    path("<uuid:family>/enrol/", views.family_enrol, name="family_enrol"),
    path("<uuid:family>/adults/new/", views.adult_edit, name="adult_create"),
    path("<uuid:family>/adults/<int:adult>/", views.adult_edit, name="adult_edit"),
    path("<uuid:family>/cards/", views.family_cards, name="family_cards"),
    path("<uuid:family>/pickup-cards/", views.family_pickup_cards, name="family_pickup_cards"),
    path("<uuid:family>/pickup-codes/new/", views.pickup_code_renew, name="pickup_code_renew"),
    path("photos-missing/", views.photos_missing, name="photos_missing"),
    path("children/<uuid:child>/", views.child_edit, name="child_edit"),
    path("children/<uuid:child>/photo/", views.child_photo, name="child_photo"),
    path("children/<uuid:child>/card/reissue/", views.card_reissue, name="card_reissue"),
    path("children/<uuid:child>/consent/", views.consent_record, name="consent_record"),
    path("children/<uuid:child>/enrol/", views.enroll, name="enroll"),
    path("children/<uuid:child>/pickups/<int:adult>/", views.pickup_edit, name="pickup_edit"),
    path(
        "children/<uuid:child>/pickups/<int:adult>/photo/",
        views.adult_photo,
        name="adult_photo",
    ),
    path("consents/<int:consent>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path(
        "enrolments/<uuid:enrollment>/withdraw/",
        views.enrollment_withdraw,
        name="enrollment_withdraw",
    ),
    path(
        "enrolments/<uuid:enrollment>/promote/",
        views.enrollment_promote,
        name="enrollment_promote",
    ),
    path("terms/<int:term>/", views.term_detail, name="term_detail"),
    path("terms/<int:term>/cards/", views.term_cards, name="term_cards"),
    path("import/", roster.roster_import, name="roster_import"),
    path("import/template/", roster.roster_template, name="roster_template"),
    path("import/<token:upload>/", roster.roster_import_preview, name="roster_import_preview"),
    path(
        "import/<token:upload>/confirm/", roster.roster_import_confirm, name="roster_import_confirm"
    ),
    path(
        "import/<token:upload>/to-correct.xlsx",
        roster.roster_import_rejected,
        name="roster_import_rejected",
    ),
    path("export/", roster.roster_export, name="roster_export"),
]
