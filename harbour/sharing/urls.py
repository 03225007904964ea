from django.urls import path

from harbour.sharing import views

app_name = "sharing"
urlpatterns = [
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="referral"),
    path("referrals/<uuid:referral_id>/open-case/", views.open_case, name="open_case"),
    path("referrals/<uuid:referral_id>/<slug:name>/", views.referral_move, name="referral_move"),
    path("cases/<uuid:case_id>/refer/", views.refer, name="refer"),
    path("shared/cases/<uuid:case_id>/", views.shared_case, name="shared_case"),
    path("survivors/<uuid:survivor_id>/consents/", views.consents, name="consents"),
    path("survivors/<uuid:survivor_id>/continuum/", views.continuum, name="continuum"),
    path("survivors/<uuid:survivor_id>/rights/", views.rights, name="rights"),
    path("survivors/<uuid:survivor_id>/erase/", views.erase, name="erase"),
    path("survivors/<uuid:survivor_id>/legal-hold/", views.legal_hold, name="legal_hold"),
    path("consents/<uuid:consent_id>/receipt/", views.receipt, name="receipt"),
    path("consents/<uuid:consent_id>/new-code/", views.reissue_code, name="reissue_code"),
    path("consents/<uuid:consent_id>/withdraw/", views.withdraw, name="withdraw"),
    path("consents/lookup/", views.lookup, name="lookup"),
    path("agreements/", views.agreements, name="agreements"),
    path(
        "agreements/<uuid:agreement_id>/<slug:name>/", views.agreement_move, name="agreement_move"
    ),
    path("notifications/", views.notifications, name="notifications"),
]
