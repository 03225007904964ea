"""One good stored encoding and the malformed texts every parser of stored encodings must refuse
(`Encoding.from_text`, `Packed.from_texts`, the hint's `lookup.packed_texts`)."""

from harbour.linkage.core import encoding as enc


def good_and_malformed(key: enc.LinkageKey) -> tuple[str, list[str]]:
    good = enc.encode(key, {"given_name": "Ana", "family_name": "Cruz"}).to_text()
    given = good.split(".")[2].partition(":")[2]
    unbalanced = good.replace(given, "1" + given[1:] if given[0] != "1" else "3" + given[1:])
    return good, [
        "",
        "hle0" + good[4:],
        good + ".given:ff",
        good.replace("given:", "nickname:"),
        good.rsplit(":", 1)[0] + ":zz",
        good.rsplit(":", 1)[0] + ":1" + "0" * 200,  # wider than the field
        unbalanced,
    ]
