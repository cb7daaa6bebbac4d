"""The genre taxonomy: aliases, the blocklist, precedence, and a versioned file that is checked."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from enrichment import genres
from enrichment.genres import TaxonomyError, canonical_genres, load


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(document))
    return path


def test_the_repository_taxonomy_loads_with_a_version() -> None:
    taxonomy = load()
    assert taxonomy.version >= 1
    assert {"Drum & Bass", "Dubstep", "House", "Techno", "Hip Hop"} <= taxonomy.names


@pytest.mark.parametrize(
    "label", ["dnb", "DnB", "drum n bass", "Drum'n'Bass", "drum and bass", "D&B", "Drum n Bass"]
)
def test_every_spelling_of_drum_and_bass_is_one_genre(label: str) -> None:
    assert canonical_genres([label]) == ("Drum & Bass",)


@pytest.mark.parametrize(
    "tag", ["seen live", "Favorites", "female vocalists", "1999", "90s", "2010s", "awesome"]
)
def test_tags_that_are_not_genres_are_dropped(tag: str) -> None:
    assert canonical_genres([tag]) == ()


def test_labels_the_taxonomy_does_not_know_are_left_out() -> None:
    assert canonical_genres(["late night", "Deep House"]) == ("Deep House",)


def test_discogs_styles_come_before_its_broad_genres() -> None:
    styles, broad = ("Drum n Bass", "Liquid Funk"), ("Electronic",)
    assert canonical_genres(styles, broad) == ("Drum & Bass", "Liquid Funk", "Electronic")


def test_a_genre_named_twice_is_kept_once_in_its_first_place() -> None:
    assert canonical_genres(["dnb", "techno", "drum & bass"]) == ("Drum & Bass", "Techno")


def test_the_list_keeps_the_most_trusted_few() -> None:
    labels = ["house", "techno", "trance", "dubstep", "jungle", "ambient", "disco"]
    assert len(canonical_genres(labels)) == genres.MAX_GENRES


def test_genres_carry_their_tempo_ranges() -> None:
    ranges = load().bpm_ranges
    assert ranges["Drum & Bass"] == (160.0, 185.0)
    assert ranges["Dubstep"] == (135.0, 150.0)
    assert "Electronic" not in ranges


def minimal(**changes: Any) -> dict[str, Any]:
    return {"version": 1, "genres": {"House": {"aliases": ["house music"]}}, **changes}


def test_a_file_without_a_version_is_refused(tmp_path: Path) -> None:
    document = minimal()
    del document["version"]
    with pytest.raises(TaxonomyError, match="'version'"):
        load(write(tmp_path, document))


def test_an_alias_given_to_two_genres_is_refused(tmp_path: Path) -> None:
    document = minimal(genres={"House": {"aliases": ["x"]}, "Techno": {"aliases": ["X"]}})
    with pytest.raises(TaxonomyError, match=r"'Techno'.*taken"):
        load(write(tmp_path, document))


def test_a_blocklisted_alias_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="blocklisted"):
        load(write(tmp_path, minimal(blocklist=["house music"])))


def test_a_reversed_tempo_range_is_refused(tmp_path: Path) -> None:
    document = minimal(genres={"House": {"aliases": [], "bpm": [132, 115]}})
    with pytest.raises(TaxonomyError, match=r"'House'.*bpm"):
        load(write(tmp_path, document))


def test_unreadable_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.json"
    path.write_text("{not json")
    with pytest.raises(TaxonomyError, match=re.escape(str(path))):
        load(path)


def test_a_small_valid_file_maps_its_aliases(tmp_path: Path) -> None:
    taxonomy = load(write(tmp_path, minimal(blocklist=["seen live"])))
    assert taxonomy.genres(["House Music", "seen live", "techno"]) == ("House",)
