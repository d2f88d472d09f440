from django.urls import path

from staff import views

app_name = "staff"

urlpatterns = [
    path("", views.index, name="index"),
    path("sites/<int:site>/", views.site_staff, name="site_staff"),
    path("sites/<int:site>/rota/", views.rota, name="rota"),
    path("sites/<int:site>/ratio-rules/", views.ratio_rules, name="ratio_rules"),
    path("sites/<int:site>/duty/", views.duty, name="duty"),
    path("sites/<int:site>/ratio/call/", views.ratio_call, name="ratio_call"),
    path("people/<int:person>/", views.person, name="person"),
    path("shifts/<int:shift>/remove/", views.shift_remove, name="shift_remove"),
]
