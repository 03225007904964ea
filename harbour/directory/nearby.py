"""Candidates near a place: the index range scans under the care map and directory search.

For each pathway stage, the nearest index rows inside a bounding box that grows until it holds
enough (a range scan on stage + latitude, ordered by an equirectangular distance, one statement
for all stages per round), and the rows without a disclosed position that serve the place (phone
or online in its province, hidden with a region that holds it). The SQL is the ORM's compilation
of the policy's queryset, so the policy still decides (docs/adr/0012, 0044). Ranking is
`queries.py`'s.
"""

import math
from typing import Any

from django.db import connections
from django.db.models import F, FloatField, QuerySet
from django.db.models.functions import Cast

from harbour.directory.models import ELIGIBILITY_FLAGS, SearchEntry
from harbour.directory.pathway import Stage
from harbour.directory.places import Place, bounding_box, km_between
from harbour.directory.regions import by_province_q, in_region_q, with_region_distance

FIRST_BOX_KM = 10.0
ENTRY_FIELDS = (
    "service_id",
    "service_at_location_id",
    "terms",
    "latitude",
    "longitude",
    "province",
    "remote",
    "confidentiality",
    "languages",
    "capacity_available",
    "genders",
    *ELIGIBILITY_FLAGS,
    "minimum_age",
    "maximum_age",
    "dates",
)


def d2(place: Place) -> Any:
    """Squared equirectangular distance in degrees: cheap in SQL, same order as km nearby."""
    k = math.cos(math.radians(place.latitude))
    return (F("latitude") - place.latitude) * (F("latitude") - place.latitude) + (
        (F("longitude") - place.longitude) * k * (F("longitude") - place.longitude) * k
    )


def near_rows(
    qs: QuerySet[SearchEntry],
    place: Place,
    radii: dict[str, float],
    limit: int,
    *,
    start: dict[str, float] | None = None,
    enough: int | None = None,
    extra: tuple[str, list] | None = None,
) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """For each stage, the `limit` nearest rows within its radius, all stages in one statement
    per round. Boxes grow from `start` (default FIRST_BOX_KM) until a stage's circle holds
    `enough` rows (then nothing outside can be nearer), each time by as much as the density
    seen so far suggests, so a dense city reads a few hundred index entries, not every one
    within 150 km, and an empty region takes few rounds (docs/adr/0012). `extra` (rows
    without a position) rides along in the first statement; its rows come back second."""
    template = _part_template(qs, place, limit)
    enough = limit if enough is None else enough
    out: dict[str, list[dict]] = {}
    extra_rows: dict[str, list[dict]] = {code: [] for code in radii}
    start = start or dict.fromkeys(radii, FIRST_BOX_KM)
    current = {code: min(start[code], km) for code, km in radii.items()}
    while current:
        found, beside = _ranked_in_boxes(template, place, current, qs.db, extra)
        if extra is not None:
            extra_rows, extra = beside, None
        for code, radius in list(current.items()):
            count = len(found[code])
            if count >= enough or radius >= radii[code]:
                out[code] = found[code]
                del current[code]
            else:
                current[code] = min(radii[code], wider(radius, count, enough))
    return out, extra_rows


def wider(radius: float, count: int, enough: int) -> float:
    """The next box: twice what this circle's density suggests would hold `enough`, at least
    twice as wide, ten times if it was empty. A box too wide costs index entries read, one
    too narrow another round trip, which costs more (measured at 100,000 services)."""
    if count == 0:
        return radius * 10
    return radius * max(2.0, 2.0 * math.sqrt(enough / count))


_SENTINELS = ("__stage__", 1111.25, 2222.25, 3333.25, 4444.25)


def _part_template(qs: QuerySet[SearchEntry], place: Place, limit: int) -> tuple[str, list]:
    """The SQL of one stage's "ids of the nearest in the box" query, compiled once per care map
    with sentinel values for the stage and the box, which `_ranked_in_boxes` swaps per stage.
    It reads only the covering index (box, policy and eligibility columns, id)."""
    stage, lat0, lat1, lon0, lon1 = _SENTINELS
    part = (
        qs.filter(stage=stage)
        .filter(latitude__gte=lat0, latitude__lte=lat1, longitude__gte=lon0, longitude__lte=lon1)
        .annotate(d2=Cast(d2(place), FloatField()))
        .order_by("d2", "id")
        .values("id")[:limit]
    )
    sql, params = part.query.sql_with_params()
    return sql, list(params)


_NEAR_COLUMNS = ["stage", *ENTRY_FIELDS]


def _ranked_in_boxes(
    template: tuple[str, list],
    place: Place,
    radii: dict[str, float],
    db: str,
    extra: tuple[str, list] | None,
) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """Each stage's nearest rows in its box: one ORDER BY … LIMIT per stage (a top-N sort over
    an index range) picks ids, and one statement reads those rows (and `extra`'s), so only the
    few dozen rows shown per stage are read from the table, not every row in the box. The SQL
    is the ORM's compilation of the policy's queryset, so the policy still decides."""
    sql, params = template
    parts: list[str] = []
    values: list[Any] = []
    for n, (code, km) in enumerate(radii.items()):
        swap = dict(
            zip(_SENTINELS, (code, *bounding_box(place.latitude, place.longitude, km)), strict=True)
        )
        parts.append(f"SELECT * FROM ({sql}) AS near_{n}")  # noqa: S608 (compiled by the ORM)
        values += [swap.get(p, p) if isinstance(p, str | float) else p for p in params]
    if extra is not None:
        parts.append(f"SELECT * FROM ({extra[0]}) AS area")  # noqa: S608 (compiled by the ORM)
        values += extra[1]
    with connections[db].cursor() as cursor:
        cursor.execute(_rows_by_id(connections[db], " UNION ALL ".join(parts)), values)
        fetched = cursor.fetchall()
    return _sorted_rows(fetched, place, radii)


def _rows_by_id(connection: Any, ids_sql: str) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in _NEAR_COLUMNS)
    table = quote(SearchEntry._meta.db_table)
    return f"SELECT {columns} FROM {table} WHERE {quote('id')} IN ({ids_sql})"  # noqa: S608


def _sorted_rows(
    fetched: list[tuple], place: Place, radii: dict[str, float]
) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """Rows with a position inside their stage's circle, nearest first; and rows without one.
    Ids stay as the driver returns them until a row is shown (`_uuid`)."""
    near: dict[str, list[dict]] = {code: [] for code in radii}
    area: dict[str, list[dict]] = {code: [] for code in radii}
    lat_at, lon_at = _NEAR_COLUMNS.index("latitude"), _NEAR_COLUMNS.index("longitude")
    for raw in fetched:
        stage, lat = raw[0], raw[lat_at]
        if lat is None:
            area[stage].append(_plain_row(dict(zip(_NEAR_COLUMNS, raw, strict=True)), None))
            continue
        distance = km_between(place.latitude, place.longitude, lat, raw[lon_at])
        if distance <= radii[stage]:
            near[stage].append(_plain_row(dict(zip(_NEAR_COLUMNS, raw, strict=True)), distance))
    for items in near.values():
        items.sort(key=lambda r: r["distance_km"])
    return near, area


_BOOLEANS = (
    "remote",
    *ELIGIBILITY_FLAGS,
)


def _plain_row(row: dict[str, Any], distance: float | None) -> dict[str, Any]:
    """Booleans as the ORM would give them (SQLite returns 0/1)."""
    for name in _BOOLEANS:
        if row[name] is not None:
            row[name] = bool(row[name])
    row["distance_km"] = distance
    return row


def in_area_sql(
    qs: QuerySet[SearchEntry], place: Place, codes: list[str], limit: int
) -> tuple[str, list]:
    """The SQL of the ids of rows without a disclosed position that serve the place (phone or
    online in its province, hidden with a region that holds it): per stage, the `limit` with
    most room today. The two kinds are read apart, each from its covering index
    (dir_entry_area_ranked by province, dir_entry_region by the region's latitude), and ranked
    together: one OR over both would read every row without a position in the country."""
    columns = ("id", "stage", "capacity_available")
    staged = qs.filter(stage__in=codes).order_by()
    parts = [
        staged.filter(by_province_q(place)).values(*columns),
        with_region_distance(staged, place).filter(in_region_q(place)).values(*columns),
    ]
    sqls, params = [], []
    for part in parts:
        sql, part_params = part.query.sql_with_params()
        sqls.append(sql)
        params += list(part_params)
    quote = connections[qs.db].ops.quote_name
    id_, stage, room = (quote(c) for c in columns)
    # the parts are the ORM's compilation of the policy's queryset; the rest is fixed text
    union = " UNION ALL ".join(
        f"SELECT * FROM ({sql}) AS part_{n}"  # noqa: S608
        for n, sql in enumerate(sqls)
    )
    ranked = (
        f"SELECT {id_}, ROW_NUMBER() OVER (PARTITION BY {stage} "  # noqa: S608
        f"ORDER BY {room} DESC NULLS LAST, {id_} ASC) AS area_rank FROM ({union}) AS unplaced"
    )
    return f"SELECT {id_} FROM ({ranked}) AS ranked WHERE area_rank <= %s", [  # noqa: S608
        *params,
        limit,
    ]


def nearest_beyond(
    qs: QuerySet[SearchEntry], place: Place, stages: list[Stage], limit: int
) -> dict[str, list[dict]]:
    """Closest options for stages with nothing within reach: boxes from twice the stage's
    reasonable distance up to 64 times it, until each stage finds something (one statement
    per widening, for all the stages still empty)."""
    rows, _none = near_rows(
        qs,
        place,
        {s.code: s.radius_km * 64 for s in stages},
        limit * 4,
        start={s.code: s.radius_km * 2 for s in stages},
        enough=1,
    )
    return rows
