"""Daily counts of refused reads are deleted after their retention (issue #12: RefusalTally grew
for ever), by `harbour audit prune-refusals`, run daily; the trail's events stay."""

import uuid

import pytest
from django.core.management import CommandError

from harbour.audit.actions import REFUSAL_TALLY_KEEP_DAYS, record_refused_read
from harbour.audit.models import AuditEvent, RefusalTally
from harbour.audit.queries import verify
from harbour.audit.tests.refusal_rows import prune as _prune
from harbour.audit.tests.refusal_rows import tally

pytestmark = pytest.mark.django_db


def _tally(days_ago: int, org_id: uuid.UUID) -> RefusalTally:
    return tally(days_ago, org_id, count=3)


def test_counts_past_their_retention_are_deleted_in_every_organisation(org, other_org) -> None:
    kept = [_tally(d, o.pk) for d in (0, 1, REFUSAL_TALLY_KEEP_DAYS) for o in (org, other_org)]
    for o in (org, other_org):
        _tally(REFUSAL_TALLY_KEEP_DAYS + 1, o.pk)
        _tally(400, o.pk)
    assert "4 daily count(s)" in _prune()
    assert set(RefusalTally.objects.values_list("pk", flat=True)) == {t.pk for t in kept}
    event = AuditEvent.objects.get(action="audit.refusal_tallies_pruned", chain="system")
    assert event.context["deleted"] == 4 and event.context["organisations"] == 2
    for o in (org, other_org):  # each organisation's auditors see their own people's part
        own = AuditEvent.objects.get(action="audit.refusal_tallies_pruned", chain=str(o.pk))
        assert own.context == {"before": event.context["before"], "deleted": 2}
    assert verify()[1] == []


def test_a_shorter_retention_keeps_today_and_yesterday(org) -> None:
    today, yesterday, older = _tally(0, org.pk), _tally(1, org.pk), _tally(2, org.pk)
    _prune("--keep-days", "1")
    assert set(RefusalTally.objects.values_list("pk", flat=True)) == {today.pk, yesterday.pk}
    assert RefusalTally.objects.filter(pk=older.pk).count() == 0


@pytest.mark.parametrize("keep", ["0", "-3"])
def test_a_retention_that_would_delete_todays_count_is_refused(org, keep: str) -> None:
    _tally(0, org.pk)
    _tally(5, org.pk)
    with pytest.raises(CommandError, match="at least 1"):
        _prune("--keep-days", keep)
    assert RefusalTally.objects.count() == 2
    assert not AuditEvent.objects.filter(action="audit.refusal_tallies_pruned").exists()


def test_todays_count_goes_on_after_a_prune(case, outsider) -> None:
    for _ in range(9):
        record_refused_read(
            by=outsider, owner_org_id=case.org_id, target_type="case", target_id=case.pk
        )
    _prune("--keep-days", "1")
    count = record_refused_read(
        by=outsider, owner_org_id=case.org_id, target_type="case", target_id=case.pk
    )
    assert count == 10, "a prune must not restart the day's count"
