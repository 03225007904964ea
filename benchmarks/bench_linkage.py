"""Record linkage (issue 12): our kernel against a whole-record Bloom filter (CLK) with Dice.

A generated population with realistic errors (typos, nicknames, transliteration variants across
languages common among survivors in Canada, swapped day and month, missing fields, changed
surnames, shared birthdays) is encoded and linked twice on the same data; prints precision,
recall, F1, the error of the unique-person count, time and peak memory, and the ratios.

    .venv/bin/python benchmarks/bench_linkage.py --records 100000

No Django: the kernel is numpy over packed filters (ADR 41). splink, the plaintext reference of
the issue (benchmarks/linkage_splink.py, a dev dependency), runs as a third side when it can be
imported; otherwise the run says why and prints the other two.
"""

import argparse
import bisect
import datetime as dt
import functools
import hashlib
import hmac
import multiprocessing
import queue as queue_module
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from harbour.linkage.core import encoding as enc
from harbour.linkage.core import matching, packed

GIVEN = {
    "en": [
        "William",
        "Robert",
        "Katherine",
        "Elizabeth",
        "Margaret",
        "Michael",
        "James",
        "Mary",
        "Jessica",
        "Ashley",
        "Emily",
        "Sarah",
        "Jennifer",
        "Amanda",
        "Daniel",
        "David",
        "Christopher",
        "Thomas",
        "Stephen",
        "Nicholas",
        "Hannah",
        "Sophie",
        "Rose",
        "Grace",
    ],
    "fr": [
        "Marie",
        "Jean",
        "Élodie",
        "Chloé",
        "Mélanie",
        "Geneviève",
        "Josée",
        "Stéphane",
        "Isabelle",
        "Nathalie",
        "Catherine",
        "Hélène",
        "Sylvie",
        "Valérie",
        "Amélie",
        "Léa",
    ],
    "es": [
        "María",
        "José",
        "Juan",
        "Guadalupe",
        "Alejandra",
        "Lucía",
        "Carmen",
        "Rosa",
        "Ana",
        "Sofía",
        "Valentina",
        "Camila",
        "Diego",
        "Miguel",
        "Esteban",
        "Ximena",
    ],
    "tl": [
        "Maricel",
        "Jonalyn",
        "Rowena",
        "Rodel",
        "Jocelyn",
        "Analyn",
        "Marites",
        "Lorna",
        "Jenalyn",
        "Rhea",
        "Princess",
        "Mary Grace",
        "Kristine",
        "Joy",
        "Angelica",
        "Rosalie",
    ],
    "ar": [
        "Fatima",
        "Mohammed",
        "Aisha",
        "Mariam",
        "Youssef",
        "Layla",
        "Noor",
        "Amira",
        "Ahmed",
        "Hana",
        "Zainab",
        "Khadija",
        "Samira",
        "Rania",
        "Salma",
        "Yasmin",
    ],
    "uk": [
        "Olena",
        "Natalia",
        "Tatiana",
        "Oksana",
        "Iryna",
        "Yulia",
        "Kateryna",
        "Svitlana",
        "Anastasia",
        "Viktoria",
        "Olha",
        "Mykola",
        "Dmytro",
        "Andriy",
        "Maria",
        "Alexander",
    ],
    "zh": [
        "Wei",
        "Fang",
        "Xiu Ying",
        "Li Na",
        "Jing",
        "Min",
        "Yan",
        "Hui",
        "Xiao Mei",
        "Lan",
        "Mei Ling",
        "Ying",
        "Hong",
        "Jun",
        "Ping",
        "Qing",
    ],
}
FAMILY = {
    "en": [
        "Smith",
        "Brown",
        "Wilson",
        "MacDonald",
        "Taylor",
        "Campbell",
        "Anderson",
        "Thompson",
        "Martin",
        "White",
        "Clark",
        "Walker",
        "Young",
        "Scott",
        "Mitchell",
        "Morrison",
    ],
    "fr": [
        "Tremblay",
        "Gagnon",
        "Roy",
        "Côté",
        "Bouchard",
        "Gauthier",
        "Morin",
        "Lavoie",
        "Fortin",
        "Gagné",
        "Ouellet",
        "Pelletier",
        "Bélanger",
        "Lévesque",
        "Bergeron",
        "Leblanc",
    ],
    "es": [
        "García",
        "Rodríguez",
        "Hernández",
        "López",
        "Martínez",
        "González",
        "Pérez",
        "Sánchez",
        "Ramírez",
        "Torres",
        "Flores",
        "Rivera",
        "Gómez",
        "Díaz",
        "Cruz",
        "Morales",
    ],
    "tl": [
        "Santos",
        "Reyes",
        "Cruz",
        "Bautista",
        "Ocampo",
        "Garcia",
        "Mendoza",
        "Villanueva",
        "Dela Cruz",
        "Ramos",
        "Aquino",
        "Castillo",
        "Navarro",
        "Manalo",
        "Pascual",
        "Soriano",
    ],
    "ar": [
        "Al-Hassan",
        "Haddad",
        "Khalil",
        "Mansour",
        "Nasser",
        "Saleh",
        "Abdullah",
        "Hussein",
        "Ibrahim",
        "Khoury",
        "Farah",
        "Aziz",
        "Hamdan",
        "Othman",
        "Rahman",
        "Yousef",
    ],
    "uk": [
        "Shevchenko",
        "Kovalenko",
        "Bondarenko",
        "Tkachenko",
        "Kravchenko",
        "Melnyk",
        "Boyko",
        "Kovalchuk",
        "Oliynyk",
        "Shevchuk",
        "Polishchuk",
        "Lysenko",
        "Marchenko",
        "Savchenko",
        "Rudenko",
        "Moroz",
    ],
    "zh": [
        "Wang",
        "Li",
        "Zhang",
        "Liu",
        "Chen",
        "Yang",
        "Huang",
        "Zhao",
        "Wu",
        "Zhou",
        "Xu",
        "Sun",
        "Ma",
        "Zhu",
        "Hu",
        "Guo",
    ],
}
VARIANTS = {  # spellings of one name met across records (transliteration, nicknames)
    "Mohammed": ["Muhammad", "Mohamed", "Mohammad"],
    "Youssef": ["Yusuf", "Yousef"],
    "Olena": ["Elena", "Helen", "Lena"],
    "Natalia": ["Natasha", "Nataliya"],
    "Tatiana": ["Tatyana", "Tanya"],
    "Kateryna": ["Katerina", "Ekaterina", "Katia"],
    "Iryna": ["Irina"],
    "Yulia": ["Julia", "Yuliya"],
    "Olha": ["Olga"],
    "Andriy": ["Andrei"],
    "Elizabeth": ["Liz", "Beth"],
    "William": ["Bill", "Will"],
    "Robert": ["Bob", "Rob"],
    "Katherine": ["Kate", "Katie", "Catherine"],
    "Margaret": ["Maggie", "Peggy"],
    "Michael": ["Mike"],
    "James": ["Jim"],
    "Christopher": ["Chris"],
    "Mariam": ["Maryam"],
    "Aisha": ["Aicha", "Ayesha"],
    "Al-Hassan": ["Alhassan", "El Hassan"],
    "Hussein": ["Husain"],
    "Shevchenko": ["Chevtchenko", "Schewtschenko"],
    "Kovalenko": ["Kowalenko"],
    "José": ["Jose"],
    "Sofía": ["Sophia", "Sofia"],
    "Nicholas": ["Nick", "Nicolas"],
}
COUNTRIES = ["CA", "PH", "MX", "UA", "CN", "SY", "IN", "HT", "NG", "VN", "CO", "RO"]
SEXES = ["woman", "man", "non_binary", "two_spirit"]


SYLLABLES = [
    "ka",
    "ri",
    "mo",
    "na",
    "li",
    "ta",
    "se",
    "vo",
    "du",
    "ne",
    "ra",
    "ko",
    "mi",
    "la",
    "po",
    "chen",
    "ber",
    "gan",
    "dor",
    "vel",
    "zan",
    "tu",
    "ha",
    "yo",
    "ben",
    "sha",
]


def invented(rng: random.Random, syllables: int) -> str:
    """A long tail of rarer names, as real populations have."""
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()


def draw_name(rng: random.Random, common: list[str], tail: float) -> str:
    """The heavy draw (`--names heavy`, every figure before --names): P(X < 2) of
    paretovariate(1.2) is 0.565, so over half the list's draws are its first name (William,
    María... each held by ~40 % of its language group, far above any real population)."""
    if rng.random() < tail:
        return invented(rng, rng.choice([2, 3, 3, 4]))
    # Zipf-like: the first names of each list are the most frequent
    return common[min(int(rng.paretovariate(1.2)) - 1, len(common) - 1)]


# The realistic draw (`--names realistic`, the default since 2026-12-06): per language, the share
# of its group holding the list's first name, and the share holding any name of the list (the
# rest is the invented tail). Set from published figures, approximate and from memory (no
# network here to check them), before any linkage score was looked at (benchmarks/README.md):
# the commonest given name of a group over all ages is 1-4 % of it (US SSA: James ~3 % of men,
# Mary ~2.5 % of women); family names: Smith ~0.8 % of the US (the top 1,000 ~40 %), Tremblay
# ~1 % in Quebec, García ~3 % in Spain, Hernández 3-4 % in Mexico, Wang / Li ~7 % each in China,
# Ukrainian surnames flat (the commonest under 1 %). Tagalog and Arabic: no figure at hand,
# assumed 2 % (inside the brief's 1-8 %).
SHARES = {  # language: ((first given, given list), (first family, family list))
    "en": ((0.015, 0.15), (0.009, 0.08)),
    "fr": ((0.020, 0.15), (0.010, 0.08)),
    "es": ((0.030, 0.20), (0.030, 0.25)),
    "tl": ((0.020, 0.15), (0.020, 0.15)),
    "ar": ((0.030, 0.25), (0.020, 0.12)),
    "uk": ((0.030, 0.20), (0.007, 0.05)),
    "zh": ((0.010, 0.08), (0.070, 0.50)),
}


def zipf_exponent(first: float, size: int) -> float:
    """The exponent s for which the first of `size` names weighted 1/i^s holds `first` of
    the list's draws (bisection; s = 0 is uniform)."""
    low, high = 0.0, 8.0
    for _ in range(60):
        s = (low + high) / 2
        share = 1 / sum(i**-s for i in range(1, size + 1))
        low, high = (s, high) if share < first else (low, s)
    return (low + high) / 2


@functools.cache
def realistic_weights(kind: int, lang: str) -> tuple[float, list[float]]:
    """The tail's share and the cumulative Zipf weights of the list (kind 0 given, 1 family)."""
    first, listed = SHARES[lang][kind]
    size = len((GIVEN, FAMILY)[kind][lang])
    s = zipf_exponent(first / listed, size)
    weights = [i**-s for i in range(1, size + 1)]
    total, running, cumulative = sum(weights), 0.0, []
    for w in weights:
        running += w / total
        cumulative.append(running)
    return 1 - listed, cumulative


def draw_realistic(rng: random.Random, kind: int, lang: str) -> str:
    tail, cumulative = realistic_weights(kind, lang)
    if rng.random() < tail:
        return invented(rng, rng.choice([2, 3, 3, 4]))
    common = (GIVEN, FAMILY)[kind][lang]
    return common[min(bisect.bisect(cumulative, rng.random()), len(common) - 1)]


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word))
    kind = rng.random()
    if kind < 0.35:
        return word[:i] + word[i + 1 :]
    if kind < 0.7:
        return word[:i] + rng.choice("aeiounrstl") + word[i + 1 :]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


NAMES = ("realistic", "heavy")  # the name distributions; the first is the default


def population(
    records: int, seed: int = 7, names: str = "realistic"
) -> tuple[list[dict], list[int]]:
    """About records / 1.43 people (as in the issue: 1,000,000 records from 700,000 people).
    `names`: "realistic" (SHARES) or "heavy" (the draw of every figure before --names, the
    same population record for record)."""
    if names not in NAMES:
        raise ValueError(f"names: one of {NAMES}, not {names!r}")
    rng = random.Random(seed)
    people: list[tuple[dict, int]] = []
    drawn = 0  # records the people drawn so far will have (a running total: summing the
    while drawn < records:  # list at each step took hours at 1,000,000)
        lang = rng.choice(list(GIVEN))
        if names == "heavy":
            given = draw_name(rng, GIVEN[lang], 0.3)
        else:
            given = draw_realistic(rng, 0, lang)
        if rng.random() < 0.5:  # mixed-origin names are common
            lang = rng.choice(list(GIVEN))
        born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(45 * 365))
        if rng.random() < 0.08:  # placeholder birthdays (January 1st) are frequent
            born = born.replace(month=1, day=1)
        person = {
            "given_name": given,
            "family_name": (  # drawn here, after the date: the heavy population's order
                draw_name(rng, FAMILY[lang], 0.6)
                if names == "heavy"
                else draw_realistic(rng, 1, lang)
            ),
            "birth_date": born,
            "gender_identity": rng.choices(SEXES, [70, 25, 3, 2])[0],
            "country_of_birth": rng.choice(COUNTRIES),
        }
        n = 1 + rng.choices(range(6), [70, 16, 7, 4, 2, 1])[0]
        people.append((person, n))
        drawn += n
    out, truth = [], []
    for pid, (person, n) in enumerate(people):
        for copy in range(n):
            out.append(person if copy == 0 else corrupt(person, rng))
            truth.append(pid)
            if len(out) == records:
                return out, truth
    return out, truth


def name_statistics(records: list[dict], truth: list[int], top: int = 3) -> list[str]:
    """The population's own namesakes, over people (each person's first record is the person
    as drawn): the commonest given, family and full names with their share of all people, and
    how many people share a full name, and a full name and birth date, with another person."""
    first: dict[int, dict] = {}
    for rec, pid in zip(records, truth, strict=True):
        first.setdefault(pid, rec)
    people = len(first)
    given = Counter(p["given_name"] for p in first.values())
    family = Counter(p["family_name"] for p in first.values())
    full = Counter((p["given_name"], p["family_name"]) for p in first.values())
    dated = Counter((p["given_name"], p["family_name"], p["birth_date"]) for p in first.values())

    def shares(counter: Counter, label: str) -> str:
        most = ", ".join(
            f"{' '.join(k) if isinstance(k, tuple) else k} {n / people:.2%}"
            for k, n in counter.most_common(top)
        )
        return f"  top {label}: {most}"

    shared = sum(n for n in full.values() if n > 1)
    shared_dated = sum(n for n in dated.values() if n > 1)
    return [
        shares(given, "given names"),
        shares(family, "family names"),
        shares(full, "full names"),
        f"  people sharing their full name with another: {shared:,} ({shared / people:.2%}); "
        f"full name and birth date: {shared_dated:,} ({shared_dated / people:.3%})",
    ]


def corrupt(person: dict, rng: random.Random) -> dict:
    rec = dict(person)
    for name in ("given_name", "family_name"):
        r = rng.random()
        if r < 0.12:
            rec[name] = typo(rec[name], rng)
        elif r < 0.22 and rec[name] in VARIANTS:
            rec[name] = rng.choice(VARIANTS[rec[name]])
        elif r < 0.26:
            rec[name] = rec[name].upper() if rng.random() < 0.5 else rec[name].lower()
    if rng.random() < 0.05:  # a changed surname (marriage, separation)
        rec["family_name"] = rng.choice(rng.choice(list(FAMILY.values())))
    born = rec["birth_date"]
    r = rng.random()
    if r < 0.05 and born.day <= 12:
        rec["birth_date"] = born.replace(month=born.day, day=born.month)
    elif r < 0.09:
        rec["birth_date"] = born + dt.timedelta(days=rng.choice([-1, 1, 365, -365]))
    for name, p in (
        ("birth_date", 0.08),
        ("given_name", 0.01),
        ("family_name", 0.04),
        ("gender_identity", 0.1),
        ("country_of_birth", 0.2),
    ):
        if rng.random() < p:
            rec[name] = None
    return rec


# --- the reference: one Bloom filter of the whole record (CLK), Dice ----------------------------


def clk(key: bytes, rec: dict, bits: int = 1000, hashes: int = 20) -> int:
    tokens: set[str] = set()
    for name in ("given_name", "family_name"):
        for word in enc.normalise(rec.get(name) or "").split():
            padded = f"_{word}_"
            tokens.update(f"{name}{padded[i : i + 2]}" for i in range(len(padded) - 1))
    if rec.get("birth_date"):
        tokens.add(f"b{rec['birth_date'].isoformat()}")
    for name in ("gender_identity", "country_of_birth"):
        if rec.get(name):
            tokens.add(f"{name}{rec[name]}")
    value = 0
    for token in tokens:
        value |= _clk_token(key, token, bits, hashes)
    return value


@functools.lru_cache(maxsize=500_000)
def _clk_token(key: bytes, token: str, bits: int, hashes: int) -> int:
    """A token's bits (cached: bigrams, dates and codes repeat across records; the filters
    are the same, only made faster, so the reference runs at 1,000,000 records)."""
    h1, h2 = (
        int.from_bytes(hmac.new(key, token.encode() + s, hashlib.sha256).digest()[:8], "big")
        for s in (b"1", b"2")
    )
    value = 0
    for i in range(hashes):  # double hashing, the classic CLK construction
        value |= 1 << ((h1 + i * h2) % bits)
    return value


def link_clk(
    filters: list[int], threshold: float, bands: int = 24, per_band: int = 24
) -> list[int]:
    """LSH blocking (24 bands of 24 sampled bits, blocks of at most 400), Dice at or above
    the threshold, connected components: over packed arrays, as our kernel's run is."""
    n = len(filters)
    raw = b"".join(f.to_bytes(128, "little") for f in filters)
    words = np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(n, 16)
    ones = np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    rng = random.Random(3)
    keys = []
    for _band in range(bands):
        key = np.zeros(n, dtype=np.uint64)
        for j, p in enumerate(rng.sample(range(1000), per_band)):
            bit = (words[:, p // 64] >> np.uint64(p % 64)) & np.uint64(1)
            key |= bit << np.uint64(j)
        keys.append(key)
    band = np.repeat(np.arange(bands, dtype=np.int64), n)
    members = np.tile(np.arange(n, dtype=np.int64), bands)
    order, starts, sizes = packed.groups([band, np.concatenate(keys)])
    kept = np.where(sizes <= 400, sizes, 0)
    pairs = packed.unique_codes(packed.pairs_within(members[order], starts, kept, n))
    matched_a, matched_b = [], []
    for _part, a, b in packed.chunks(pairs, n):
        common = np.bitwise_count(words[a] & words[b]).sum(axis=1, dtype=np.int64)
        total = ones[a] + ones[b]
        dice = np.where(total > 0, 2 * common / np.maximum(total, 1), 0.0)
        matched_a.append(a[dice >= threshold])
        matched_b.append(b[dice >= threshold])
    return components(n, np.concatenate(matched_a or [pairs]), np.concatenate(matched_b or [pairs]))


def components(n: int, a: np.ndarray, b: np.ndarray) -> list[int]:
    """Connected components of the pairs (a[i], b[i]): each record's smallest connected
    index, by propagating the smallest label along the pairs until nothing changes."""
    labels = np.arange(n, dtype=np.int64)
    while True:
        low = np.minimum(labels[a], labels[b])
        before = labels.copy()
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        while True:  # pointer jumping: a label's label
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        if np.array_equal(labels, before):
            return labels.tolist()


# --- scoring ---------------------------------------------------------------------------------


def scores(labels: list[int], truth: list[int]) -> dict:
    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    predicted = pairs(Counter(labels))
    actual = pairs(Counter(truth))
    both = pairs(Counter(zip(labels, truth, strict=True)))
    precision = both / predicted if predicted else 1.0
    recall = both / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    persons, true_persons = len(set(labels)), len(set(truth))
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "persons": persons,
        "true_persons": true_persons,
        "count_error": (persons - true_persons) / true_persons,
    }


def timed(fn, *args):
    """Run fn in a forked child: its time, and its own peak RSS (MiB) on top of the parent's
    (the generated population) — each side measured alone."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()

    def child():
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result = fn(*args)
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        queue.put((result, elapsed, peak / 1024, (peak - base) / 1024))

    process = ctx.Process(target=child)
    process.start()
    while True:  # a side that fails ends the run instead of leaving it waiting
        try:
            out = queue.get(timeout=5)
            break
        except queue_module.Empty:
            if not process.is_alive():
                name = getattr(fn, "__name__", fn)
                raise SystemExit(f"{name} failed (exit {process.exitcode})") from None
    process.join()
    return out


def ours(records: list[dict]) -> tuple[list[int], dict]:
    """Our side as the hub's run reads it (`Packed.from_stored` in `actions.run_linkage`):
    each record encoded and written as its stored text, the texts packed one at a time, so
    no `Encoding` per record is held (ADR 41, amended 2026-12-06, sixth session)."""
    key = enc.LinkageKey(b"benchmark-linkage-key-0123456789abcdef")
    start = time.perf_counter()
    texts = (enc.encode(key, r).to_text() for r in records)
    batch = packed.Packed.from_texts(texts, key_id=key.key_id)
    encoded = time.perf_counter() - start
    print(f"[ours] encoded and packed in {encoded:.1f} s", flush=True)
    start = time.perf_counter()
    result = matching.link(batch)
    linked = time.perf_counter() - start
    print(f"[ours] linked in {linked:.1f} s", flush=True)
    assert result.weights is not None  # link returns the weights it learnt
    scan, compared = scan_lookup_times(records, batch, key, result.weights, samples=200)
    facts = {
        "encode_s": encoded,
        "link_s": linked,
        "candidate_pairs": result.candidate_pairs,
        "uncertain_pairs": result.uncertain_pairs,
        "weak_records": result.weak_records,
        "persons_if_uncertain_merged": result.persons_if_uncertain_merged,
        "persons_expected": result.persons_expected,
        "scan_p95_ms": scan,
        "scan_compared": compared,
    }
    return result.labels, facts


def scan_lookup_times(
    records: list[dict],
    rows: packed.Packed,
    key: enc.LinkageKey,
    weights: matching.Weights,
    samples: int = 200,
) -> tuple[float, int]:
    """p95 of a lookup without an index (one new record against every record of the hub) over
    packed arrays: the new record is packed, compared with all n at once, and the pairs above
    the match threshold are its matches. The records are packed once, before timing (a
    resident index); the sampled records are encoded again beforehand. Also how many records
    each lookup compares (all of them)."""
    table = np.array([weights.score(packed.vector(p)) for p in range(packed.PATTERNS)])
    threshold = matching.Thresholds().match
    everyone = slice(None)  # every row, without copying the matrices
    one = np.zeros(1, dtype=np.int64)
    rng = random.Random(1)
    sampled = [enc.encode(key, records[rng.randrange(len(records))]) for _ in range(samples)]
    times = []
    for mine in sampled:
        start = time.perf_counter()
        query = packed.Packed.of([mine])
        compared = packed.compare(query, one, everyone, matching._CUTS, against=rows)
        p = matching.posterior(table[compared.pattern] + weights.logit)
        found = np.flatnonzero(packed.sure(compared) | (p >= threshold))
        times.append(1000 * (time.perf_counter() - start))
        del found  # the answer; a weak or dateless record may not even match itself
    times.sort()
    return times[int(0.95 * (len(times) - 1))], rows.n


def explain_errors(records: list[dict], truth: list[int]) -> None:
    """What our side gets wrong, by kind (`--explain-errors`): the false pairs of its persons,
    scored at or above the merge threshold themselves (direct) or joined only through other
    records of the cluster (transitive); the true pairs it missed, never candidates or scored
    low; and for each kind the commonest comparison vectors (one level per field, 4 = the same
    value, 0 = missing on a side) with the fields holding the very same filter."""
    key = enc.LinkageKey(b"benchmark-linkage-key-0123456789abcdef")
    encodings = [enc.encode(key, r) for r in records]
    result = matching.link(encodings)
    assert result.weights is not None
    weights, n = result.weights, len(encodings)
    batch = packed.Packed.of(encodings)
    del encodings
    blocking = matching.Blocking()
    keys = packed.Keys.of(batch, blocking)
    by_birth, by_names = packed.candidate_pairs(batch, keys, blocking)
    candidates = packed.merge(
        packed.merge(by_birth, by_names), packed.recovered_pairs(batch, keys, blocking)
    )
    del by_birth, by_names, keys
    table = np.array([weights.score(packed.vector(p)) for p in range(packed.PATTERNS)])
    labels, people = np.asarray(result.labels), np.asarray(truth)
    predicted, actual = _pairs_inside(labels, n), _pairs_inside(people, n)
    false = predicted[people[predicted // n] != people[predicted % n]]
    missed = actual[labels[actual // n] != labels[actual % n]]
    false_p, false_c = _scored(batch, false, weights, table)
    direct = false_p >= matching.Thresholds().merging  # what a run merges at
    print(f"explain: {len(predicted):,} pairs inside persons found, {len(false):,} of them false")
    _vectors("  direct (scored >= merge)", false_c, direct)
    _vectors("  transitive (through other records)", false_c, ~direct)
    print(f"explain: {len(actual):,} true pairs, {len(missed):,} missed")
    never = ~packed.among(missed, candidates)
    missed_p, missed_c = _scored(batch, missed, weights, table)
    thresholds = matching.Thresholds()
    _vectors("  never candidates", missed_c, never)
    _vectors("  candidates scored uncertain", missed_c, ~never & (missed_p >= thresholds.uncertain))
    _vectors(
        "  candidates scored below uncertain", missed_c, ~never & (missed_p < thresholds.uncertain)
    )
    print(
        f"  confident matches refused (their clusters held a clear non-match): "
        f"{result.refused_merges:,}; prior {weights.prior:.3g}",
        flush=True,
    )


def _pairs_inside(labels: np.ndarray, n: int) -> np.ndarray:
    """Every pair of records with the same label, as codes a·n + b (a < b)."""
    order, starts, sizes = packed.groups([labels.astype(np.int64)])
    return packed.unique_codes(packed.pairs_within(order, starts, sizes, n))


def _scored(batch, codes: np.ndarray, weights, table) -> tuple[np.ndarray, packed.Compared]:
    n = batch.n
    a, b = codes // n, codes % n
    compared = packed.compare(batch, a, b, matching._CUTS)
    return matching._probabilities(batch, a, b, compared, weights, table), compared


def _vectors(label: str, compared: packed.Compared, chosen: np.ndarray, top: int = 8) -> None:
    print(f"{label}: {int(chosen.sum()):,}")
    codes = Counter(
        zip(compared.pattern[chosen].tolist(), compared.equal[chosen].tolist(), strict=True)
    )
    fields = matching.FIELD_ORDER
    for (pattern, equal), count in codes.most_common(top):
        same = ",".join(f for i, f in enumerate(fields) if equal & (1 << i)) or "-"
        vector = " ".join(
            f"{f}={lvl}" for f, lvl in zip(fields, packed.vector(pattern), strict=True)
        )
        print(f"    {count:>8,}  {vector}  (identical: {same})")


def reference(records: list[dict], threshold: float) -> list[int]:
    key = b"benchmark-clk-key-0123456789abcdef"
    return link_clk([clk(key, r) for r in records], threshold)


def splink_side():
    """The plaintext Fellegi-Sunter reference (benchmarks/linkage_splink.py, splink on DuckDB),
    or why it cannot run here."""
    try:
        from linkage_splink import link_splink
    except ImportError as missing:  # the module, or splink (a dev dependency), not installed
        return None, f"splink not run: {missing}"
    return link_splink, ""


def progress(name: str, side: tuple, truth: list[int]) -> tuple:
    """Print a side's figures as soon as it ends (a long run keeps what it measured)."""
    out, seconds, peak, own = side
    found = scores(out[0] if name == "ours" else out, truth)
    figures = ", ".join(f"{k} {found[k]:.4f}" for k in ("precision", "recall", "f1", "count_error"))
    print(f"[{name}] {figures}; {seconds:.1f} s, peak RSS {peak:.0f} MiB ({own:.0f} its own)")
    sys.stdout.flush()
    return side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--clk-threshold", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--explain-errors",
        action="store_true",
        help="only our side: the kinds of false and missed pairs, then stop",
    )
    parser.add_argument(
        "--ours-only",
        action="store_true",
        help="only our side's figures (time, memory, scores), without the CLK and splink sides",
    )
    parser.add_argument(
        "--names",
        choices=NAMES,
        default=NAMES[0],
        help="the name distribution: realistic (published shares, the default since "
        "2026-12-06) or heavy (every figure before it)",
    )
    args = parser.parse_args()
    records, truth = population(args.records, args.seed, args.names)
    print(f"{len(records):,} records from {len(set(truth)):,} people; names {args.names}")
    print("\n".join(name_statistics(records, truth)), flush=True)
    if args.explain_errors:
        timed(explain_errors, records, truth)
        return
    sides = {"ours": progress("ours", timed(ours, records), truth)}
    print_facts(sides["ours"][0][1], sides["ours"][0][0], truth)
    if args.ours_only:
        return
    sides["CLK + Dice"] = progress(
        "CLK + Dice", timed(reference, records, args.clk_threshold), truth
    )
    link_splink, why = splink_side()
    if link_splink is not None:
        sides["splink"] = progress("splink", timed(link_splink, records), truth)
    labels = {name: out[0][0] if name == "ours" else out[0] for name, out in sides.items()}
    score = {name: scores(found, truth) for name, found in labels.items()}
    others = [name for name in sides if name != "ours"]
    header = "".join(f"{name:>12}" for name in sides)
    header += "".join(f"{'÷ ' + name.split()[0]:>10}" for name in others)
    print(f"{'':28}{header}")

    def row(label: str, values: dict[str, float], fmt: str) -> None:
        line = "".join(f"{values[name]:12{fmt}}" for name in sides)
        for name in others:
            line += f"{values['ours'] / values[name]:10.2f}" if values[name] else f"{'':10}"
        print(f"{label:28}{line}")

    for name in ("precision", "recall", "f1", "count_error"):
        row(name, {side: score[side][name] for side in sides}, ".4f")
    row("persons found", {side: score[side]["persons"] for side in sides}, ",")
    # Each side's whole work from the records to the persons. Ours leaves out its 200 timed
    # scans (a lookup's figure, printed apart), which the side's process also ran.
    seconds = {side: out[1] for side, out in sides.items()}
    facts = sides["ours"][0][1]
    seconds["ours"] = facts["encode_s"] + facts["link_s"]
    row("seconds, ours encode+link", seconds, ".1f")
    row("peak RSS MiB (process)", {side: out[2] for side, out in sides.items()}, ".0f")
    row("  of which the side itself", {side: out[3] for side, out in sides.items()}, ".0f")
    if why:
        print(why)
    print(f"true persons {score['ours']['true_persons']:,}")


def print_facts(facts: dict, labels: list[int], truth: list[int]) -> None:
    """Our side's own figures, printed as soon as it ends."""
    found = scores(labels, truth)
    true = found["true_persons"]
    print(
        f"ours: encoding and packing {facts['encode_s']:.1f} s, linking {facts['link_s']:.1f} s "
        f"({facts['candidate_pairs']:,} candidate pairs), "
        f"{facts['uncertain_pairs']:,} uncertain pairs, {facts['weak_records']:,} weak records; "
        f"persons between {facts['persons_if_uncertain_merged']:,} (every uncertain pair one "
        f"person) and {found['persons']:,}"
    )
    expected = facts["persons_expected"]
    print(
        f"ours, expected persons (each uncertain pair by its probability): {expected:,.0f}, "
        f"count error {(expected - true) / true:+.2%}"
    )
    print(
        f"ours, a scan without an index (one record against all {facts['scan_compared']:,}, "
        f"packed): p95 {facts['scan_p95_ms']:.1f} ms; the hint's lookup goes through the "
        "block index instead and is timed by bench_linkage_lookup.py",
        flush=True,
    )


if __name__ == "__main__":
    main()
