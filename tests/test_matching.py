"""Candidate scoring and the accept-or-review decision for text search results."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from enrichment.matching import (
    WEIGHTS,
    Candidate,
    MatchDecision,
    Query,
    combine,
    decide,
    recording_key,
    score_candidate,
    text_disagreements,
    worth_reviewing,
)
from enrichment.titles import normalise, parse_title, split_artists

_identifiers = itertools.count(1)


def candidate(title: str, artist: str, *artists: str, **fields: Any) -> Candidate:
    """A Spotify-like search hit; the artist list defaults to the display credit."""
    return Candidate(
        source=fields.pop("source", "spotify"),
        identifier=fields.pop("identifier", f"id-{next(_identifiers)}"),
        artist=artist,
        title=title,
        artists=artists or (artist,),
        **fields,
    )


def accepted_identifier(decision: MatchDecision) -> str | None:
    return decision.accepted.candidate.identifier if decision.accepted else None


# Exact, version and remix handling


def test_exact_match_is_accepted() -> None:
    hit = candidate("Strobe", "deadmau5", duration_ms=637_000, upstream_score=1.0)
    decision = decide(Query("deadmau5", "Strobe", duration_ms=636_500), [hit])
    assert decision.accepted is not None
    assert decision.accepted.candidate == hit
    assert decision.accepted.score == 1.0
    assert decision.reason == "accepted: score 1.00, no different recording among candidates"


def test_original_is_accepted_over_its_remix_when_the_query_names_no_version() -> None:
    remix = candidate("Levels - Skrillex Remix", "Avicii", identifier="remix")
    original = candidate("Levels", "Avicii", identifier="original")
    decision = decide(Query("Avicii", "Levels"), [remix, original])
    assert accepted_identifier(decision) == "original"
    assert decision.reason.startswith("accepted: score 1.00, margin ")


def test_named_remix_is_accepted_over_the_original() -> None:
    original = candidate("Levels", "Avicii", identifier="original")
    remix = candidate("Levels - Skrillex Remix", "Avicii", identifier="remix")
    decision = decide(Query("Avicii", "Levels (Skrillex Remix)"), [original, remix])
    assert accepted_identifier(decision) == "remix"


def test_remix_by_another_remixer_is_not_accepted() -> None:
    other_remix = candidate("Levels (Avicii Remix)", "Avicii")
    decision = decide(Query("Avicii", "Levels (Skrillex Remix)"), [other_remix])
    assert decision.accepted is None
    assert decision.ranked[0].components["version"] == 0.0
    assert "version skrillex remix vs avicii remix" in decision.ranked[0].notes


def test_remix_with_unnamed_remixer_is_only_half_a_version_match() -> None:
    scored = score_candidate(
        Query("Avicii", "Levels (Remix)"), candidate("Levels (Skrillex Remix)", "Avicii")
    )
    assert scored.components["version"] == 0.5


def test_club_edit_is_not_the_plain_track() -> None:
    decision = decide(Query("deadmau5", "Strobe"), [candidate("Strobe (Club Edit)", "deadmau5")])
    assert decision.accepted is None
    assert decision.ranked[0].components["version"] == 0.0
    assert decision.reason == "review: best 0.70 below 0.85"


@pytest.mark.parametrize(
    "title",
    [
        "Strobe (Original Mix)",
        "Strobe - Original Mix",
        "Strobe (Original)",
        "Strobe - Album Version",
    ],
)
def test_original_mix_and_album_version_are_the_plain_title(title: str) -> None:
    scored = score_candidate(Query("deadmau5", "Strobe"), candidate(title, "deadmau5"))
    assert scored.components == {"title": 1.0, "artist": 1.0, "version": 1.0}


@pytest.mark.parametrize(
    ("dashed", "bracketed"),
    [
        ("Ocean Drive - Radio Edit", "Ocean Drive (Radio Edit)"),
        ("Levels - Skrillex Remix", "Levels [Skrillex Remix]"),
        ("Hey Jude - Remastered 2009", "Hey Jude (2009 Remaster)"),
        ("Hey Jude - Live at Wembley", "Hey Jude (Live at Wembley)"),
        ("Titanium - feat. Sia", "Titanium (feat. Sia)"),
    ],
)
def test_spotify_dash_suffix_parses_like_brackets(dashed: str, bracketed: str) -> None:
    assert parse_title(dashed) == parse_title(bracketed)


def test_dash_without_version_words_stays_part_of_the_title() -> None:
    parsed = parse_title("Something - Part Two")
    assert (parsed.base, parsed.version) == ("something part two", parse_title("X").version)


def test_unknown_bracket_text_stays_part_of_the_title() -> None:
    parsed = parse_title("Faded (Restrung)")
    assert (parsed.base, parsed.version) == ("faded restrung", parse_title("X").version)


def test_bare_with_in_a_title_is_not_a_credit() -> None:
    parsed = parse_title("Dance With Me")
    assert (parsed.base, parsed.featured) == ("dance with me", ())


@pytest.mark.parametrize(
    "title", ["Danger Zone (Bonus Track)", 'Danger Zone - From "Top Gun" Soundtrack', "Danger Zone"]
)
def test_bonus_track_and_soundtrack_notes_are_the_plain_title(title: str) -> None:
    assert parse_title(title) == parse_title("Danger Zone")


def test_unknown_words_beside_version_name_a_different_recording() -> None:
    hit = candidate("Love Story", "Taylor Swift")
    decision = decide(Query("Taylor Swift", "Love Story (Taylor's Version)"), [hit])
    assert decision.accepted is None
    assert "version taylors version vs plain" in decision.ranked[0].notes


def test_named_mix_counts_as_a_remix_by_that_name() -> None:
    version = parse_title("Silence (Tiësto Mix)").version
    assert (version.kinds, version.credit) == (frozenset({"remix"}), "tiesto")


# Remasters


def test_plain_query_prefers_the_plain_release_over_a_listed_first_remaster() -> None:
    remaster = candidate("Bohemian Rhapsody - Remastered 2011", "Queen", identifier="remaster")
    plain = candidate("Bohemian Rhapsody", "Queen", identifier="plain")
    decision = decide(Query("Queen", "Bohemian Rhapsody"), [remaster, plain])
    assert accepted_identifier(decision) == "plain"
    assert decision.reason.endswith("no different recording among candidates")


def test_remastered_query_prefers_the_remaster() -> None:
    plain = candidate("Bohemian Rhapsody", "Queen", identifier="plain")
    remaster = candidate("Bohemian Rhapsody - 2011 Remaster", "Queen", identifier="remaster")
    decision = decide(Query("Queen", "Bohemian Rhapsody - Remastered 2011"), [plain, remaster])
    assert accepted_identifier(decision) == "remaster"


def test_remaster_alone_is_accepted_with_a_small_penalty() -> None:
    remaster = candidate("Bohemian Rhapsody - Remastered 2011", "Queen")
    decision = decide(Query("Queen", "Bohemian Rhapsody"), [remaster])
    assert decision.accepted is not None
    assert decision.accepted.components["version"] == 0.9
    assert "version plain vs remaster" in decision.accepted.notes


# Artists and credits


def test_featured_credit_in_title_matches_featured_artist_in_artist_list() -> None:
    hit = candidate("Titanium", "David Guetta, Sia", "David Guetta", "Sia")
    decision = decide(Query("David Guetta", "Titanium (feat. Sia)"), [hit])
    assert decision.accepted is not None
    assert decision.accepted.components["artist"] == 1.0


def test_missing_featured_credit_in_the_query_does_not_sink_a_correct_match() -> None:
    hit = candidate("Titanium", "David Guetta, Sia", "David Guetta", "Sia")
    decision = decide(Query("David Guetta", "Titanium"), [hit])
    assert decision.accepted is not None
    assert decision.accepted.components["artist"] == pytest.approx(0.95)


def test_missing_featured_credit_on_the_candidate_does_not_sink_a_correct_match() -> None:
    decision = decide(
        Query("David Guetta", "Titanium (feat. Sia)"), [candidate("Titanium", "David Guetta")]
    )
    assert decision.accepted is not None


def test_featured_artist_named_in_the_display_credit_is_not_the_lead_whatever_the_order() -> None:
    hit = candidate("Titanium", "David Guetta feat. Sia", "Sia", "David Guetta")
    assert recording_key(hit)[1] == "david guetta"


def test_same_title_by_another_artist_is_not_accepted() -> None:
    namesake = candidate(
        "Strobe", "Strobe Light Orchestra", duration_ms=600_000, upstream_score=1.0
    )
    decision = decide(Query("deadmau5", "Strobe", duration_ms=600_000), [namesake])
    assert decision.accepted is None
    assert decision.ranked[0].components["artist"] == 0.0
    assert decision.reason.startswith("review: best 0.76")


@pytest.mark.parametrize(
    ("query_artist", "query_title", "hit_artist", "hit_title"),
    [
        ("Beyoncé", "Halo", "BEYONCE", "halo"),
        ("Sigur Rós", "Hoppípolla", "Sigur Ros", "Hoppipolla"),
        ("Røyksopp", "Eple", "Royksopp", "Eple"),
        ("Guns N' Roses", "Sweet Child o' Mine", "Guns N Roses", "Sweet Child O Mine"),
        ("P!nk", "So What", "P!NK", "So What!"),
    ],
)
def test_accents_case_and_punctuation_are_ignored(
    query_artist: str, query_title: str, hit_artist: str, hit_title: str
) -> None:
    scored = score_candidate(Query(query_artist, query_title), candidate(hit_title, hit_artist))
    assert scored.score == 1.0


def test_x_credits_are_split_into_artists() -> None:
    hit = candidate(
        "Rumble", "Skrillex, Fred again.., Flowdan", "Skrillex", "Fred again..", "Flowdan"
    )
    decision = decide(Query("Fred again.. x Skrillex", "Rumble"), [hit])
    assert decision.accepted is not None
    assert split_artists("Fred again.. x Skrillex").main == ("fred again", "skrillex")


@pytest.mark.parametrize(
    ("credit", "main", "featured"),
    [
        ("Simon & Garfunkel", ("simon", "garfunkel"), ()),
        ("Beyoncé, JAY-Z", ("beyonce", "jay z"), ()),
        ("Tiësto vs. Dzeko", ("tiesto", "dzeko"), ()),
        ("Mumford and Sons", ("mumford", "sons"), ()),
        ("David Guetta feat. Sia", ("david guetta",), ("sia",)),
        ("David Guetta ft. Sia & Fetty Wap", ("david guetta",), ("sia", "fetty wap")),
        ("Calvin Harris (featuring Florence Welch)", ("calvin harris",), ("florence welch",)),
        ("Malcolm X", ("malcolm x",), ()),
    ],
)
def test_artist_credits_split_into_main_and_featured(
    credit: str, main: tuple[str, ...], featured: tuple[str, ...]
) -> None:
    artists = split_artists(credit)
    assert (artists.main, artists.featured) == (main, featured)


def test_whole_credit_spelled_differently_still_matches() -> None:
    hit = candidate("Dog Days Are Over", "Florence + The Machine")
    scored = score_candidate(Query("Florence and the Machine", "Dog Days Are Over"), hit)
    assert scored.components["artist"] == 1.0


def test_query_without_artist_is_never_accepted() -> None:
    decision = decide(Query("", "Strobe"), [candidate("Strobe", "deadmau5")])
    assert decision.accepted is None


# Titles and durations


def test_title_sharing_only_a_word_scores_low() -> None:
    hit = candidate("Ghosts", "Justice")
    decision = decide(Query("Justice", "Ghosts 'n' Stuff"), [hit])
    assert decision.ranked[0].components["title"] < 0.5
    assert decision.accepted is None


def test_duration_disagreement_demotes_a_candidate() -> None:
    long_one = candidate("Strobe", "deadmau5", identifier="long", duration_ms=637_000)
    right_one = candidate("Strobe", "deadmau5", identifier="right", duration_ms=211_000)
    decision = decide(Query("deadmau5", "Strobe", duration_ms=210_000), [long_one, right_one])
    assert [item.candidate.identifier for item in decision.ranked] == ["right", "long"]
    assert accepted_identifier(decision) == "right"
    assert "duration differs by 427 s" in decision.ranked[1].notes


def test_lone_candidate_far_off_in_duration_goes_to_review() -> None:
    decision = decide(
        Query("deadmau5", "Strobe", duration_ms=210_000),
        [candidate("Strobe", "deadmau5", duration_ms=637_000)],
    )
    assert decision.accepted is None
    assert decision.ranked[0].components["duration"] == 0.0


@pytest.mark.parametrize(
    ("candidate_ms", "expected"),
    [(200_000, 1.0), (203_000, 1.0), (216_500, 0.5), (230_000, 0.0), (400_000, 0.0)],
)
def test_duration_is_full_within_three_seconds_and_fades_out_at_thirty(
    candidate_ms: int, expected: float
) -> None:
    scored = score_candidate(
        Query("deadmau5", "Strobe", duration_ms=200_000),
        candidate("Strobe", "deadmau5", duration_ms=candidate_ms),
    )
    assert scored.components["duration"] == pytest.approx(expected)


def test_unknown_duration_and_upstream_score_are_left_out() -> None:
    scored = score_candidate(
        Query("deadmau5", "Strobe"), candidate("Strobe", "deadmau5", duration_ms=600_000)
    )
    assert set(scored.components) == {"title", "artist", "version"}


# The decision


def test_decide_on_an_empty_list_finds_nothing() -> None:
    assert decide(Query("deadmau5", "Strobe"), []) == MatchDecision(None, (), "no candidates")


def test_two_near_equal_different_recordings_go_to_review_with_the_margin_reason() -> None:
    # Each candidate credits only one of the two artists named: either could be the track.
    snake = candidate("Turn Down for What", "DJ Snake")
    lil_jon = candidate("Turn Down for What", "Lil Jon")
    decision = decide(Query("DJ Snake & Lil Jon", "Turn Down for What"), [snake, lil_jon])
    assert decision.accepted is None
    assert decision.ranked[0].score >= 0.85
    assert decision.reason == "review: margin 0.00 below 0.08"


def test_album_and_single_releases_of_one_recording_do_not_block_each_other() -> None:
    album = candidate("Strobe", "deadmau5", identifier="album", upstream_score=0.98)
    single = candidate("Strobe", "deadmau5", identifier="single", upstream_score=1.0)
    compilation = candidate("Strobe - Radio Edit", "deadmau5", identifier="edit")
    decision = decide(Query("deadmau5", "Strobe"), [album, single, compilation])
    assert accepted_identifier(decision) == "single"
    assert "margin" in decision.reason


def test_upstream_order_breaks_ties_between_equal_scores() -> None:
    first = candidate("Strobe", "deadmau5", identifier="first")
    second = candidate("Strobe", "deadmau5", identifier="second")
    decision = decide(Query("deadmau5", "Strobe"), [first, second])
    assert accepted_identifier(decision) == "first"


def test_thresholds_can_be_tightened_by_the_caller() -> None:
    hit = candidate("Titanium", "David Guetta, Sia", "David Guetta", "Sia")
    decision = decide(Query("David Guetta", "Titanium"), [hit], accept_at=0.99)
    assert decision.accepted is None
    assert decision.reason == "review: best 0.98 below 0.99"


def test_margin_is_measured_against_the_best_different_recording() -> None:
    original = candidate("Levels", "Avicii", identifier="original")
    remix = candidate("Levels (Skrillex Remix)", "Avicii", identifier="remix")
    decision = decide(Query("Avicii", "Levels"), [original, remix], margin=0.31)
    assert decision.accepted is None
    assert decision.reason == "review: margin 0.30 below 0.31"


def test_score_can_be_recomputed_from_the_stored_components() -> None:
    query = Query("David Guetta", "Titanium (feat. Sia)", duration_ms=245_000)
    hit = candidate("Titanium - Extended", "David Guetta", duration_ms=260_000, upstream_score=0.8)
    scored = score_candidate(query, hit)
    assert set(scored.components) == set(WEIGHTS)
    assert combine(scored.components) == scored.score
    weighted = sum(WEIGHTS[name] * value for name, value in scored.components.items())
    assert scored.score == pytest.approx(weighted / sum(WEIGHTS.values()), abs=1e-4)


def test_decision_survives_a_json_round_trip() -> None:
    query = Query("Avicii", "Levels", duration_ms=200_000)
    hits = [
        candidate("Levels", "Avicii", duration_ms=201_000, upstream_score=0.9, isrc="SE0000000001"),
        candidate("Levels - Skrillex Remix", "Avicii", source="musicbrainz"),
    ]
    decision = decide(query, hits)
    stored = json.loads(json.dumps(decision.to_dict()))
    assert stored == decision.to_dict()
    assert MatchDecision.from_dict(stored) == decision


def test_review_decision_survives_a_json_round_trip() -> None:
    decision = decide(Query("deadmau5", "Strobe"), [candidate("Strobe (Club Edit)", "deadmau5")])
    restored = MatchDecision.from_dict(json.loads(json.dumps(decision.to_dict())))
    assert restored == decision
    assert restored.accepted is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Beyoncé  ", "beyonce"),
        ("Don\u2019t Stop Me Now", "dont stop me now"),
        ("Rock & Roll", "rock and roll"),
        ("Fred again..", "fred again"),
        ("Straße", "strasse"),
    ],
)
def test_normalise_folds_case_accents_punctuation_and_spacing(text: str, expected: str) -> None:
    assert normalise(text) == expected


# Components that cannot be compared, and disagreements noted for identifier matches


def test_a_candidate_without_any_artist_credit_leaves_the_artist_out_of_the_score() -> None:
    uncredited = Candidate("musicbrainz", "mbid", artist="", title="Hey Boy Hey Girl")
    scored = score_candidate(Query("The Chemical Brothers", "Hey Boy Hey Girl"), uncredited)
    assert "artist" not in scored.components  # unknown, not 0
    assert scored.score == 1.0
    assert not any(note.startswith("artist") for note in scored.notes)


def test_a_candidate_without_artist_credit_is_still_worth_a_curators_look() -> None:
    uncredited = Candidate("musicbrainz", "mbid", artist="", title="Hey Boy Hey Girl (Live)")
    decision = decide(Query("The Chemical Brothers", "Hey Boy Hey Girl"), [uncredited])
    assert decision.accepted is None  # the live version is another recording
    assert worth_reviewing(decision)


def test_text_disagreements_name_title_artist_and_version_but_not_duration() -> None:
    hit = candidate("Strobe (Club Edit)", "デッドマウス", duration_ms=400_000)
    scored = score_candidate(Query("deadmau5", "Strobe", duration_ms=633_000), hit)
    lines = text_disagreements(scored)
    assert lines == (
        "artist 'deadmau5' vs 'デッドマウス'",
        "version plain vs club edit",
    )


def test_a_small_artist_difference_is_no_disagreement_worth_a_note() -> None:
    hit = candidate("Get Lucky", "Daft Punk", "Daft Punk", "Pharrell Williams")
    assert text_disagreements(score_candidate(Query("Daft Punk", "Get Lucky"), hit)) == ()
