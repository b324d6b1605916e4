"""Finding acronym pairs, people and aliases in text (no gazetteer needed)."""

from __future__ import annotations

from wirewatch.gazetteer.names import good_alias, pick_aliases
from wirewatch.gazetteer.spelling import keys
from wirewatch.suggest.acronyms import pairs
from wirewatch.suggest.article import html_text
from wirewatch.suggest.people import find_people
from wirewatch.suggest.text import read_article


def test_acronym_pairs_take_the_words_the_letters_start() -> None:
    """The expansion starts at the word that begins with the acronym's first letter."""
    text = "Fighters of the Northern Valley Front (NVF) and the Lake Council (LC) met."
    assert [("Northern Valley Front", "NVF"), ("Lake Council", "LC")] == pairs(text)


def test_a_parenthesis_that_abbreviates_nothing_is_no_pair() -> None:
    assert [] == pairs("The talks were held in private (XYZ) last week.")


def test_people_need_a_cue_and_surnames_drop_the_article() -> None:
    """A title before, a role after a comma, or "said"; a sentence opener is no person."""
    article = read_article(
        "Ceasefire talks stall\n"
        "Envoy Marta Kowalczyk met rebels on Monday. Omar al-Tayeb, a local commander, agreed. "
        "Heavy Rain fell on the town."
    )
    found = {p.name: p.surname for p in find_people(article, frozenset())}
    assert {"Marta Kowalczyk": "Kowalczyk", "Omar al-Tayeb": "Tayeb"} == found


def test_the_author_of_an_embedded_post_is_marked() -> None:
    article = read_article("Title\nTroops moved in. — Lina Haddad (@linahaddad) May 2, 2024")
    people = find_people(article, frozenset())
    assert [("Lina Haddad", True)] == [(p.name, p.byline) for p in people]


def test_aliases_drop_codes_romanisations_and_other_scripts() -> None:
    assert not good_alias("ALP")
    assert not good_alias("hms")
    assert not good_alias("Хомс")
    assert good_alias("Hims")
    assert good_alias("حمص")
    assert good_alias("Хомс", scripts=("latin", "arabic", "other"))  # when asked for


def test_without_an_arabic_name_aliases_are_one_per_spelling_and_look_like_it() -> None:
    names = ["Hims", "Ḩimş", "Homsz", "Qwerty", "hms", "QHS"]
    assert ["Homs", "Hims", "Homsz"] == pick_aliases("Homs", names)


def test_lookup_keys_join_spellings_of_the_arabic_article() -> None:
    assert set(keys("Busra al-Sham")) & set(keys("Busra ash Sham"))
    assert set(keys("Deir Ezzor")) & set(keys("Deir ez-Zor"))


def test_an_html_page_gives_its_headline_and_article_paragraphs() -> None:
    page = (
        "<html><head><title>Site</title></head><body><nav><p>Home</p></nav>"
        "<article><h1>Floods reach Kassala</h1><p>Water rose &amp; roads closed.</p></article>"
        "<footer><p>Subscribe</p></footer></body></html>"
    )
    assert "Floods reach Kassala\nWater rose & roads closed." == html_text(page)


def test_merge_appends_to_a_block_list_of_names_and_keeps_its_lines() -> None:
    from wirewatch.suggest.merge import _add_names

    lines = [
        "entities:",
        "  - id: nawa",
        "    kind: place",
        "    names:",
        "      - Nawa",
        "  - id: x",
    ]
    assert [
        "entities:", "  - id: nawa", "    kind: place", "    names:", "      - Nawa",
        '      - "نوى"', "  - id: x",
    ] == _add_names(lines, "nawa", ["نوى"])  # fmt: skip


def test_latin_aliases_are_transliterations_of_the_arabic_name() -> None:
    """With an Arabic name to compare, exonyms go (Homsz, Choms) and transliterations stay."""
    names = ["Hims", "Hums", "Homsz", "Choms", "Həma", "حمص"]
    assert ["Homs", "Hims", "Hums", "حمص"] == pick_aliases("Homs", names)


def test_skeletons_allow_the_article_a_dropped_h_and_a_final_ta_marbuta() -> None:
    from wirewatch.gazetteer._skeleton import arabic_skeletons, transliterates

    assert transliterates("Dayr az-Zawr", arabic_skeletons("دير الزور"))
    assert transliterates("Alep", arabic_skeletons("حلب"))
    assert transliterates("Hamath", arabic_skeletons("حماة"))
    assert not transliterates("Gama", arabic_skeletons("حماة"))
