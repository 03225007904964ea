"""The continuum-of-care pathway and Harbour's service taxonomy, read from data/taxonomy.yaml.

Stages run from immediate safety to peer support; each is served by some taxonomy terms. A case's
needs (the dictionary's `need` list) map onto stages and terms, so the care map starts from what
the caseworker already recorded.
"""

import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import get_language

DATA = Path(__file__).resolve().parent / "data"
TAXONOMY_URI = "https://harbour.example/directory/taxonomy"


@dataclass(frozen=True)
class Bilingual:
    en: str
    fr: str

    def __str__(self) -> str:
        return self.fr if (get_language() or "en").startswith("fr") else self.en


@dataclass(frozen=True)
class Stage:
    code: str
    label: Bilingual
    radius_km: float
    remote_ok: bool
    terms: tuple[str, ...]
    order: int


@dataclass(frozen=True)
class Term:
    id: uuid.UUID
    code: str
    label: Bilingual


@dataclass(frozen=True)
class NeedMapping:
    stage: str | None
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Pathway:
    taxonomy: dict[str, Any]
    stages: tuple[Stage, ...]
    terms: dict[str, Term]
    needs: dict[str, NeedMapping]
    modifiers: frozenset[str]
    handout: dict[str, Bilingual]

    def stage(self, code: str) -> Stage:
        return next(s for s in self.stages if s.code == code)

    def stages_of_term(self, term: str) -> list[str]:
        return [s.code for s in self.stages if term in s.terms]

    def stage_codes(self) -> list[str]:
        return [s.code for s in self.stages]


def _bi(raw: dict[str, str]) -> Bilingual:
    return Bilingual(raw["en"], raw["fr"])


@cache
def pathway() -> Pathway:
    raw = yaml.safe_load((DATA / "taxonomy.yaml").read_text(encoding="utf-8"))
    stages = tuple(
        Stage(s["code"], _bi(s), float(s["radius_km"]), bool(s["remote_ok"]), tuple(s["terms"]), i)
        for i, s in enumerate(raw["stages"])
    )
    terms = {t["code"]: Term(uuid.UUID(t["id"]), t["code"], _bi(t)) for t in raw["terms"]}
    needs = {code: NeedMapping(m["stage"], tuple(m["terms"])) for code, m in raw["needs"].items()}
    return Pathway(
        taxonomy=raw["taxonomy"],
        stages=stages,
        terms=terms,
        needs=needs,
        modifiers=frozenset(raw["modifiers"]),
        handout={k: _bi(v) for k, v in raw["handout"].items()},
    )


def stages_for_needs(needs: list[str]) -> dict[str, set[str]]:
    """Stage code → the terms that meet the given needs in that stage."""
    out: dict[str, set[str]] = {}
    for need in needs:
        mapping = pathway().needs.get(need)
        if mapping and mapping.stage:
            out.setdefault(mapping.stage, set()).update(mapping.terms)
    return out


def term_label(code: str) -> str:
    term = pathway().terms.get(code)
    return str(term.label) if term else code
