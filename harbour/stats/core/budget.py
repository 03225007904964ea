"""The privacy-budget arithmetic of a dataset, exact (Decimal), so spends never drift.

Under basic sequential composition the epsilons of releases over the same data add up; a release
is allowed only if what was already spent plus its epsilon stays within the budget.
"""

from collections.abc import Iterable
from decimal import Decimal


class BudgetExceeded(ValueError):
    pass


def spent(spends: Iterable[Decimal]) -> Decimal:
    return sum(spends, Decimal(0))


def remaining(total: Decimal, spends: Iterable[Decimal]) -> Decimal:
    return total - spent(spends)


def check_spend(total: Decimal, spends: Iterable[Decimal], epsilon: Decimal) -> Decimal:
    """The budget left after spending `epsilon`, or BudgetExceeded."""
    if epsilon <= 0:
        raise ValueError("epsilon must be positive")
    left = remaining(total, spends) - epsilon
    if left < 0:
        raise BudgetExceeded(f"spending {epsilon} would exceed the budget of {total}")
    return left
