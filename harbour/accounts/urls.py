from django.urls import path

from harbour.accounts import staff_views, views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.sign_in, name="login"),
    path("sign-out/", views.sign_out, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("forgot/", views.forgot, name="forgot"),
    path("welcome/set-password/", views.welcome_password, name="welcome_password"),
    path("welcome/<str:token>/", views.welcome, name="welcome"),
    path("reset/set-password/", views.reset_password, name="reset_password"),
    path("reset/<str:token>/", views.reset, name="reset"),
    path("staff/", staff_views.staff_list, name="staff"),
    path("staff/invite/", staff_views.staff_invite, name="staff_invite"),
    path(
        "staff/invitations/<uuid:invitation_id>/revoke/",
        staff_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("staff/<uuid:user_id>/", staff_views.staff_edit, name="staff_edit"),
    path("staff/<uuid:user_id>/active/", staff_views.staff_set_active, name="staff_set_active"),
    path(
        "staff/<uuid:user_id>/require-reset/",
        staff_views.staff_require_reset,
        name="staff_require_reset",
    ),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<uuid:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
