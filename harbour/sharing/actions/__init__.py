"""Every write about consent, agreements and referrals: keyword-only, an explicit actor, one
transaction, audited. Refusals carry a specific, translated message and change nothing.

The actions are grouped by subject in this package; import them from here.
"""

from harbour.sharing.actions.agreements import (
    accept_agreement,
    adopt_national_protocol,
    create_national_protocol,
    leave_agreement,
    propose_agreement,
)
from harbour.sharing.actions.consent import (
    DEFAULT_CONSENT_MONTHS,
    find_consent_by_receipt,
    record_consent,
    reissue_receipt_code,
    withdraw_consent,
)
from harbour.sharing.actions.referrals import (
    MSG_NO_AGREEMENT,
    MSG_NO_CONSENT,
    accept_referral,
    complete_referral,
    decline_referral,
    link_survivors,
    open_case_for_referral,
    send_referral,
    withdraw_referral,
)
from harbour.sharing.actions.rights import (
    erase_survivor,
    mark_notifications_read,
    record_export,
    send_reminders,
    set_legal_hold,
)

__all__ = [
    "DEFAULT_CONSENT_MONTHS",
    "MSG_NO_AGREEMENT",
    "MSG_NO_CONSENT",
    "accept_agreement",
    "accept_referral",
    "adopt_national_protocol",
    "complete_referral",
    "create_national_protocol",
    "decline_referral",
    "erase_survivor",
    "find_consent_by_receipt",
    "leave_agreement",
    "link_survivors",
    "mark_notifications_read",
    "open_case_for_referral",
    "propose_agreement",
    "record_consent",
    "record_export",
    "reissue_receipt_code",
    "send_referral",
    "send_reminders",
    "set_legal_hold",
    "withdraw_consent",
    "withdraw_referral",
]
