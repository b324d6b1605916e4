"""The matching rules users expect, one test per rule (README "Matching")."""

from __future__ import annotations

import json
import pickle

import pytest

from wirewatch.ingest.plaintext import to_text
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import parse_watchlist
from wirewatch.model import FeedItem

WATCHLIST = {
    "name": "test",
    "entities": [
        {"id": "homs", "kind": "place", "names": ["Homs", "Hims", "حمص"]},
        {"id": "hama", "kind": "place", "names": ["Hama", "حماة"], "exclude": ["Hama Prefecture"]},
        {"id": "aleppo", "kind": "place", "names": ["Aleppo", "Halab"]},
        {"id": "damascus", "kind": "place", "names": ["Damascus"], "exclude": ["Damascus steel"]},
        {"id": "deir_ezzor", "kind": "place", "names": ["Deir Ezzor", "Deir ez-Zor"]},
        {"id": "euphrates", "kind": "place", "names": ["Euphrates", "الفرات"]},
        {"id": "assad", "kind": "actor", "names": ["Bashar al-Assad", "Assad", "الأسد"]},
        {"id": "hts", "kind": "actor", "names": ["Hay'at Tahrir al-Sham", "HTS"]},
        {"id": "busra", "kind": "place", "names": ["Busra al-Sham"]},
        {"id": "sohr", "kind": "actor", "names": ["Syrian Observatory for Human Rights", "SOHR"]},
        {"id": "un", "kind": "actor", "names": ["United Nations", "UN"]},
        {
            "id": "russia",
            "kind": "actor",
            "names": ["Russia", "Russian", "Moscow"],
            "exclude": ["Moscow, Idaho"],
        },
        {"id": "iran", "kind": "actor", "names": ["Iran", "Iranian"]},
        {"id": "turkey", "kind": "actor", "names": ["Turkey", "Türkiye"]},
    ],
}


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(parse_watchlist(WATCHLIST, source="test"))


def found(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    return [(m.entity, m.text) for m in matcher.find(to_text(text), "title")]


@pytest.mark.parametrize(
    "text", ["Hamas leaders meet", "homes for sale", "Homsy family", "Halabja memorial"]
)
def test_whole_names_only(matcher: Matcher, text: str) -> None:
    """A name inside a longer word is not a mention: Hama is not Hamas, Halab not Halabja."""
    assert found(matcher, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Homs' residents", [("homs", "Homs'")]),
        ("Rebels take Hama's airport", [("hama", "Hama's")]),
        ("Assad’s palace", [("assad", "Assad’s")]),
        ("the al-Assad family", [("assad", "Assad")]),
        ("an Aleppo-based group", [("aleppo", "Aleppo")]),
        ("Iran-backed militias", [("iran", "Iran")]),
        ("the Homs–Damascus road", [("homs", "Homs"), ("damascus", "Damascus")]),
    ],
)
def test_possessives_and_compounds_match(
    matcher: Matcher, text: str, expected: list[tuple[str, str]]
) -> None:
    """Possessives, al- prefixes, hyphenated compounds and dashes keep the name whole."""
    assert expected == found(matcher, text)


def test_case_insensitive_for_ordinary_names(matcher: Matcher) -> None:
    """Ordinary names match in any case."""
    assert found(matcher, "DEIR EZZOR homs") == [("deir_ezzor", "DEIR EZZOR"), ("homs", "homs")]


@pytest.mark.parametrize("text", ["Un accord est signé", "sohr", "Hts fighters"])
def test_short_capital_names_match_only_in_capitals(matcher: Matcher, text: str) -> None:
    """HTS, SOHR, UN written in capitals in the watchlist match only in capitals."""
    assert found(matcher, text) == []


def test_short_capital_names_match_in_capitals(matcher: Matcher) -> None:
    assert found(matcher, "UN-led talks, HTS fighters, SOHR said") == [
        ("un", "UN"),
        ("hts", "HTS"),
        ("sohr", "SOHR"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Hay'at Tahrir al-Sham",
        "Hay’at Tahrir al-Sham",
        "Hay‘at Tahrir al Sham",
        "Hayʼat Tahrir al‑Sham",
        "Hayʿat Tahrir al-Sham",
        "Hayat Tahrir al Sham",
        "Hay&#39;at Tahrir al-Sham",
        "<b>Hay'at</b> Tahrir al-Sham",
    ],
)
def test_apostrophe_hyphen_and_space_folds(matcher: Matcher, text: str) -> None:
    """Apostrophe variants (or none), hyphens, spaces and no-break spaces are one spelling."""
    assert [e for e, _ in found(matcher, text)] == ["hts"]


@pytest.mark.parametrize(
    "text", ["Deir-Ezzor", "Deir\u00a0Ezzor", "Deir&nbsp;Ezzor", "Deir ez Zor"]
)
def test_hyphen_space_variants_of_multiword_names(matcher: Matcher, text: str) -> None:
    assert [e for e, _ in found(matcher, text)] == ["deir_ezzor"]


def test_diacritics_and_compatibility_forms(matcher: Matcher) -> None:
    """Türkiye = Turkiye, and full-width or ligature forms fold like their plain letters."""
    assert found(matcher, "Turkiye and Türkiye, Ｈｏｍｓ") == [
        ("turkey", "Turkiye"),
        ("turkey", "Türkiye"),
        ("homs", "Ｈｏｍｓ"),
    ]


def test_offsets_point_into_the_original_text(matcher: Matcher) -> None:
    """Offsets are into the plain text even where folding changed lengths (ß, marks)."""
    text = "Straße nach Damascus; حماةً"
    matches = matcher.find(text, "summary")
    assert [text[m.start : m.end] for m in matches] == ["Damascus", "حماةً"]
    assert [m.text for m in matches] == ["Damascus", "حماةً"]


def test_html_is_reduced_to_text_before_matching(matcher: Matcher) -> None:
    assert found(matcher, "<p>Fighting in <b>Homs</b></p>") == [("homs", "Homs")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الأسد يغادر", ["assad"]),
        ("الاسد يغادر", ["assad"]),
        ("قتال بحمص", ["homs"]),
        ("قتال وحمص", ["homs"]),
        ("مياه والفرات", ["euphrates"]),
        ("مياه للفرات", ["euphrates"]),
        ("وصول تعزيزات لحماة", ["hama"]),
        ("وصول تعزيزات لحماه", ["hama"]),
        ("حمـــص", ["homs"]),
        ("حِمْص", ["homs"]),
        ("محمص", []),
    ],
)
def test_arabic_folds_and_prefixes(matcher: Matcher, text: str, expected: list[str]) -> None:
    """Alef forms, alef maksura, taa marbuta, tatweel and harakat fold; one-letter prefixes count."""
    assert expected == [e for e, _ in found(matcher, text)]


def test_plural_of_actor_names(matcher: Matcher) -> None:
    """An actor's name of four or more letters also matches with a plural s."""
    assert found(matcher, "Russians and Iranians left") == [
        ("russia", "Russians"),
        ("iran", "Iranians"),
    ]


def test_places_take_no_plural(matcher: Matcher) -> None:
    """Places do not pluralise, which keeps Hama apart from Hamas."""
    assert found(matcher, "Hamas and Homss") == []


@pytest.mark.parametrize(
    "text", ["a Damascus steel blade", "Moscow, Idaho police", "Hama Prefecture"]
)
def test_exclude_phrases(matcher: Matcher, text: str) -> None:
    assert found(matcher, text) == []


def test_exclude_does_not_hide_other_mentions(matcher: Matcher) -> None:
    assert found(matcher, "Damascus steel, made in Damascus")[-1:] == [("damascus", "Damascus")]


def test_common_word_names_need_a_capital(matcher: Matcher) -> None:
    """A name that is also an ordinary word (turkey) matches only when capitalised."""
    assert found(matcher, "a Thanksgiving turkey shortage") == []
    assert found(matcher, "Turkey closes its border") == [("turkey", "Turkey")]


def test_common_word_written_lowercase_elsewhere_in_the_item_is_not_a_mention(
    matcher: Matcher,
) -> None:
    """'Turkey prices climb ... turkey flocks': the lowercase use tells what the word means."""
    item = FeedItem(id="1", title="Turkey prices climb", summary="Farmers sell turkey flocks.")
    assert matcher.classify(item).matches == ()


def test_leftmost_longest(matcher: Matcher) -> None:
    """The longest name wins where names overlap."""
    assert found(matcher, "Bashar al-Assad fled") == [("assad", "Bashar al-Assad")]


def test_organisation_short_form(matcher: Matcher) -> None:
    """An actor named 'A B for C' is also found by its head 'A B'."""
    assert found(matcher, "the Syrian Observatory said") == [("sohr", "Syrian Observatory")]


def test_french_elision(matcher: Matcher) -> None:
    assert found(matcher, "l'Iran et la Russie") == [("iran", "Iran")]


def test_alert_rule_require_kinds() -> None:
    """`require_kinds: [place, actor]` alerts only when both kinds are present."""
    raw = dict(WATCHLIST, alert={"require_kinds": ["place", "actor"]})
    strict = Matcher(parse_watchlist(raw, source="test"))
    assert not strict.classify(FeedItem(id="1", title="Homs and Hama")).alert
    assert strict.classify(FeedItem(id="2", title="HTS enters Homs")).alert


def test_alert_rule_min_entities_and_fields() -> None:
    raw = dict(WATCHLIST, alert={"min_entities": 2, "fields": ["title"]})
    strict = Matcher(parse_watchlist(raw, source="test"))
    assert not strict.classify(FeedItem(id="1", title="Homs", summary="Hama")).alert
    both = strict.classify(FeedItem(id="2", title="Homs and Hama"))
    assert (both.alert, both.entities) == (True, ("homs", "hama"))


def test_person_surname_alone_matches_when_capitalised() -> None:
    """An actor that is a person (Geir Pedersen, Ahmed al-Sharaa) is found by the surname."""
    people = parse_watchlist(
        {
            "name": "p",
            "entities": [
                {"id": "pedersen", "kind": "actor", "names": ["Geir Pedersen"]},
                {"id": "jolani", "kind": "actor", "names": ["Ahmed al-Sharaa"]},
                {"id": "sna", "kind": "actor", "names": ["Syrian National Army"]},
                {"id": "hts", "kind": "actor", "names": ["Tahrir al-Sham"]},
            ],
        },
        source="test",
    )
    matcher = Matcher(people)
    found_ = [(m.entity, m.text) for m in matcher.find("Pedersen met al-Sharaa's aides", "t")]
    assert [("pedersen", "Pedersen"), ("jolani", "Sharaa's")] == found_
    assert [] == matcher.find("the army and pedersen, a sham", "t")


@pytest.mark.parametrize("how", ["pickle", "data"])
def test_a_copied_matcher_finds_the_same(matcher: Matcher, how: str) -> None:
    """Pickled, or as the plain data of the classify cache (through JSON): nothing changes."""
    if how == "pickle":
        copy = pickle.loads(pickle.dumps(matcher))
    else:
        copy = Matcher.from_data(json.loads(json.dumps(matcher.to_data())))
    item = FeedItem(
        id="1",
        title="HTS fighters enter Hama's outskirts; Iranians leave",
        summary="وحمص and Deir ez-Zor, not Hama Prefecture",
    )
    assert copy.classify(item) == matcher.classify(item)
    assert copy.classify(item).matches  # the item does mention tracked entities
