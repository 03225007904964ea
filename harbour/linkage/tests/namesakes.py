"""A small hub for threshold tests: one person twice (a typo in the given name, day and month
swapped) among 200 others with made-up names, so that the pair's posterior is neither 0 nor 1."""

import datetime as dt
import random

from harbour.linkage.core.encoding import Encoding, LinkageKey, encode

PERSON = {"given_name": "Maricel", "family_name": "Santos", "birth_date": dt.date(1988, 4, 12)}


def one_person_among_others(key: LinkageKey) -> list[Encoding]:
    records = [
        encode(key, PERSON),
        encode(key, {**PERSON, "given_name": "Marisel", "birth_date": dt.date(1988, 12, 4)}),
    ]
    rng = random.Random(5)
    syllables = ["ka", "ri", "mo", "lu", "ne", "sa", "to", "vi", "da", "pe"]
    for _other in range(200):
        given, family = ("".join(rng.choices(syllables, k=3)) for _name in range(2))
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
        records.append(
            encode(key, {"given_name": given, "family_name": family, "birth_date": born})
        )
    return records
