from django.urls import path

from attendance.tablet import views

app_name = "tablet"

urlpatterns = [
    path("tablet/", views.lock_screen, name="lock_screen"),
    path("tablet/unlock/", views.unlock, name="unlock"),
    path("tablet/lock/", views.lock, name="lock"),
    path("tablet/faces/<int:person>/", views.face, name="face"),
    path("tablet/sites/<int:site>/", views.tablets, name="tablets"),
    path("tablet/sites/<int:site>/register/", views.register, name="register"),
    path("tablet/sites/<int:site>/<uuid:tablet>/revoke/", views.revoke, name="revoke"),
    path("tablet/sync/", views.sync, name="sync"),
    path("tablet/roster/", views.roster, name="roster"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("board/<int:site>/offline-acts/", views.offline_review, name="offline_review"),
]
