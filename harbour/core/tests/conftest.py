import pytest

from harbour.cases.models import Case


@pytest.fixture
def two_cases(make_case, caseworker, outsider) -> tuple[Case, Case]:
    """One case of the caseworker's organisation and one of another (the outsider's)."""
    return make_case(caseworker), make_case(outsider)
