from django.urls import path

from harbour.accounts import second_factor_views as mfa
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
    path(
        "staff/<uuid:user_id>/reset-second-factor/",
        staff_views.staff_reset_second_factor,
        name="staff_reset_second_factor",
    ),
    path(
        "staff/second-factor-policy/",
        staff_views.second_factor_policy,
        name="second_factor_policy",
    ),
    path("second-factor/", mfa.second_factor, name="second_factor"),
    path(
        "second-factor/passkey/options/",
        mfa.passkey_sign_in_options,
        name="second_factor_passkey_options",
    ),
    path("second-factor/passkey/", mfa.passkey_sign_in, name="second_factor_passkey"),
    path("security/", mfa.security, name="security"),
    path("security/app/", mfa.totp_start, name="security_totp"),
    path("security/app/<uuid:device_id>/", mfa.totp_confirm, name="security_totp_confirm"),
    path("security/recovery-codes/", mfa.recovery_codes, name="security_codes"),
    path("security/recovery-codes/new/", mfa.recovery_codes_new, name="security_codes_new"),
    path(
        "security/passkey/options/",
        mfa.passkey_register_options,
        name="security_passkey_options",
    ),
    path("security/passkey/", mfa.passkey_register, name="security_passkey"),
    path(
        "security/<str:kind>/<uuid:factor_id>/remove/",
        mfa.factor_remove,
        name="security_remove",
    ),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<uuid:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
