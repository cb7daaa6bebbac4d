"""Random but plausible electronic-music names: artists, titles, labels, versions."""

from __future__ import annotations

import random

from sandbox import vocabulary as words


def producer_name(rng: random.Random) -> str:
    """A producer or DJ name such as "Velvet Horizon", "DJ Lena" or "Marco Visser"."""
    pattern = rng.random()
    if pattern < 0.3:
        return f"{rng.choice(words.ADJECTIVES)} {rng.choice(words.NOUNS)}"
    if pattern < 0.45:
        return f"DJ {rng.choice(words.FIRST_NAMES)}"
    if pattern < 0.55:
        return f"{rng.choice(words.NOUNS)} {rng.choice(words.PROJECT_SUFFIXES)}"
    if pattern < 0.6:
        return f"{rng.choice(words.FIRST_NAMES)} & {rng.choice(words.FIRST_NAMES)}"
    return f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"


def vocalist_name(rng: random.Random) -> str:
    """A featured vocalist such as "Noor Okafor" or "MC Kofi"."""
    first = rng.choice(words.FIRST_NAMES)
    if rng.random() < 0.15:
        return f"MC {first}"
    return f"{first} {rng.choice(words.LAST_NAMES)}"


def sort_name(name: str) -> str:
    """MusicBrainz-style sort name ("DJ Lena" -> "Lena, DJ"; "Marco Visser" -> "Visser, Marco")."""
    if name.startswith(("DJ ", "MC ")):
        return f"{name[3:]}, {name[:2]}"
    first, _, last = name.partition(" ")
    if first in words.FIRST_NAMES and last in words.LAST_NAMES:
        return f"{last}, {first}"
    return name


def track_title(rng: random.Random) -> str:
    """A track title such as "Lost Horizon", "Falling Into Gravity" or "Pulse"."""
    pattern = rng.random()
    adjective, noun, other = (
        rng.choice(words.ADJECTIVES),
        rng.choice(words.NOUNS),
        rng.choice(words.NOUNS),
    )
    if pattern < 0.35:
        return f"{adjective} {noun}"
    if pattern < 0.55:
        return f"{rng.choice(words.VERBS)} {rng.choice(words.PREPOSITIONS)} {noun}"
    if pattern < 0.7:
        return f"{noun} Of {other}" if noun != other else noun
    if pattern < 0.85:
        return noun
    return f"{adjective} {noun} {other}"


def label_parts(rng: random.Random, index: int) -> tuple[str, str, str]:
    """Name, three-letter ISRC registrant and catalogue prefix of the index-th label."""
    base = words.LABEL_WORDS[index % len(words.LABEL_WORDS)]
    suffix = rng.choice(words.LABEL_SUFFIXES)
    letters = "".join(c for c in base.upper() if c.isalpha())
    registrant = letters[:3]
    prefix = registrant if index < len(words.LABEL_WORDS) else f"{registrant}{index}"
    return f"{base} {suffix}".strip(), registrant, prefix


def version_pattern(rng: random.Random, remix_only: bool) -> str:
    """A version such as "Extended Mix" or "{remixer} Remix", weighted by how common it is."""
    kinds = [(k, w) for k, w in words.VERSION_KINDS if not remix_only or "{remixer}" in k]
    return rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
