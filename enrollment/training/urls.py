from django.urls import path

from enrollment.training import views

app_name = "training"

urlpatterns = [
    path("", views.session_list, name="session_list"),
    path("new/", views.session_edit, name="session_create"),
    path("courses/", views.course_list, name="course_list"),
    path("courses/new/", views.course_edit, name="course_create"),
    path("courses/<int:course>/", views.course_edit, name="course_edit"),
    path("feedback/<token:token>/", views.feedback, name="feedback"),
    path("<uuid:session>/", views.session_detail, name="session_detail"),
    path("<uuid:session>/edit/", views.session_edit, name="session_edit"),
    path("<uuid:session>/invite/", views.invite, name="invite"),
    path("<uuid:session>/invitations/", views.invitation_print, name="invitation_print"),
    path("<uuid:session>/desk/", views.sign_in_desk, name="sign_in_desk"),
    path("<uuid:session>/sign-in/", views.sign_in, name="sign_in"),
    path("<uuid:session>/sign-in/remove/", views.sign_in_remove, name="sign_in_remove"),
]
