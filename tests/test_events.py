"""What an item reports: action kinds in English and Arabic, naming words, figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wirewatch.commands.schema import schema
from wirewatch.stories.actions import ACTIONS, actions_in, compatible
from wirewatch.stories.events import attribution, event_of, figures_conflict, name_phrases
from wirewatch.stories.evidence import veto


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("Rebels seize Hama after a lightning push", "control"),
        ("Hama falls to the opposition", "control"),
        ("فصائل المعارضة تسيطر على مدينة حمص", "control"),
        ("HTS fighters pull out of Afrin", "leave"),
        ("هيئة تحرير الشام تنسحب من وسط حماة", "leave"),
        ("Air strike on a market in Daraa", "attack"),
        ("غارة جوية على ريف دمشق", "attack"),
        ("Toll from the Homs blast rises to 19", "attack"),
        ("Sixteen killed in the town, medics say", "kill"),
        ("Evacuation of east Aleppo suspended", "suspend"),
        ("Assad wins a fourth term with 95.1 percent", "vote"),
        ("Trump meets al-Sharaa in Riyadh", "meet"),
        ("Qatar's emir arrives in Damascus", "visit"),
        ("Strong earthquake felt across the region", "quake"),
        ("EU extends sanctions on Syrian officials", "sanction"),
        ("Trump to lift all US sanctions on Syria", "lift"),
        ("ترامب يعلن رفع العقوبات الأمريكية عن سوريا", "lift"),
        ("Pedersen hopes for calm", None),
    ],
)
def test_the_title_names_the_action_family(text: str, family: str | None) -> None:
    """The first action of the title, in English or Arabic, gives the item's action family."""
    assert family == event_of(text).action


def test_inflections_count_but_longer_words_do_not() -> None:
    """'strikes' and 'shelling' are strikes; 'freedom' is not 'freed', 'leftover' not 'left'."""
    assert {"strike"} <= actions_in("Israeli strikes and heavy shelling")
    assert "release" not in actions_in("Crowds chanted for freedom")


def test_the_summary_names_the_action_when_the_title_does_not() -> None:
    """A quote as headline: the action comes from the summary."""
    event = event_of("'A stab in the back', says Putin\nTurkey shot down a Russian bomber.")
    assert "attack" == event.action


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("control", "leave", False),
        ("leave", "suspend", False),
        ("attack", "kill", True),
        ("protest", "attack", True),
        ("vote", "appoint", True),
        ("meet", "visit", False),
        ("sanction", "lift", False),
        ("sanction", "suspend", True),
        (None, "leave", True),
    ],
)
def test_compatible_families(a: str | None, b: str | None, expected: bool) -> None:
    """Opposite actions cannot be one event; a toll goes with a strike; unknown goes with any."""
    assert expected == compatible(a, b)


def test_names_are_rare_capitalised_words_and_not_matched_entities() -> None:
    """Rare words with a capital are names; common ones ('Government') and the words of names
    that matched an entity are not (they count as the entity)."""
    event = event_of(
        "Government shelling hits Jaramana near Damascus\nResidents of Jaramana said 5 died.",
        entities=["damascus"],
        named=["Damascus"],
    )
    assert {"jaramana"} == event.terms


def test_arabic_names_are_rare_words_without_clitics() -> None:
    """Arabic words are names when rare; the article and conjunctions do not count."""
    assert "جرمانا" in event_of("غارة على جرمانا وقوات في المنطقة").terms
    assert "قوات" not in event_of("غارة على جرمانا وقوات في المنطقة").terms


def test_figures_leave_out_years_and_single_digits() -> None:
    """Tolls and percentages are figures; years, small numbers and digits inside a word (a
    code, a flight number) are not."""
    assert {"1400", "88.7"} == event_of("In 2014, 1,400 dead and 88.7 percent; 3 towns").figures
    assert frozenset() == event_of("Code 07e3a1, flight 12B, road M5").figures


def test_different_decimal_figures_conflict_but_rising_tolls_do_not() -> None:
    """88.7 and 95.1 percent are two elections; a toll of 12 that becomes 19 is one event."""
    assert figures_conflict(frozenset({"88.7"}), frozenset({"95.1"}))
    assert not figures_conflict(frozenset({"12"}), frozenset({"19"}))


@pytest.mark.parametrize(
    ("title", "credit"),
    [
        ("SOHR: 26 killed in clashes", ["SOHR"]),
        ("Hospital raid toll rises to 11 \u2014 SOHR", ["SOHR"]),
        ("Al-Waer: first convoy has left - State TV", ["Al-Waer", "State TV"]),
        ("Rebels seize Hama", []),
        ("Rebels say the whole airport is theirs: the army denies it", []),
    ],
)
def test_attribution_is_a_short_credit_before_a_colon_or_after_a_dash(
    title: str, credit: list[str]
) -> None:
    assert credit == [title[a:b] for a, b in attribution(title)]


def test_a_possessive_is_no_name_of_its_own() -> None:
    """ "Syria's" is Syria (a stop word here), not a rare name of its own."""
    assert "syria" not in event_of("Syria's president wins vote").terms
    assert "syria's" not in event_of("Syria's president wins vote").terms


def test_an_arabic_word_common_once_its_clitic_is_gone_is_no_name() -> None:
    """للحرية is rare as written but is "for the freedom": no name. جرمانا stays one."""
    assert "حري" not in event_of("هتفوا للحرية").terms
    assert "جرمانا" in event_of("غارة على جرمانا").terms


def test_name_phrases_are_runs_of_capitalised_words() -> None:
    text = "Maarat al-Numan hospital hit; Deir ez-Zor quiet\nAhmed al-Sharaa named"
    assert {"Maarat al-Numan", "Deir ez-Zor", "Ahmed al-Sharaa"} == name_phrases(text)
    assert not name_phrases("a strike near the town")
    # A common word does not start a name, and a possessive ends one.
    assert {"Defence Ministry"} == name_phrases("The Defence Ministry said so")
    assert not name_phrases("Hundreds leave Homs's Waer district")


def test_a_name_after_a_lower_case_article_is_a_name() -> None:
    """ "from al-Waer" names Waer as "Al-Waer:" does; "al-Qaeda" names Qaeda."""
    assert {"waer"} <= event_of("Convoys leave from al-Waer district").terms
    assert (
        event_of("Convoys leave from al-Waer district").terms
        == event_of("Convoys leave from Al-Waer district").terms
    )


@pytest.mark.parametrize(
    ("title", "looks_back"),
    [
        ("Five years after the sarin attack on Ghouta, who has been held to account?", True),
        ("Ten years on, Daraa is back under Assad but not at peace", True),
        ("On the anniversary of the uprising, Idlib protests", True),
        ("في الذكرى العاشرة للثورة", True),
        ("Rebels seize Hama after two years of siege", False),
    ],
)
def test_a_title_that_looks_back_years_on(title: str, looks_back: bool) -> None:
    assert looks_back == event_of(title).looks_back


def test_a_look_back_and_a_report_of_the_event_are_two_stories() -> None:
    """An anniversary piece about an attack is no report of an attack of that day."""
    attack = event_of("Gas attack on Ghouta kills hundreds")
    look_back = event_of("Five years after the gas attack on Ghouta, no one held to account")
    assert "a look back years on, and a report" == veto(
        timedelta(hours=1), timedelta(hours=48), attack.action, look_back.action, attack, look_back
    )


def test_the_payload_schema_lists_every_action_family() -> None:
    enum = schema("payload")["$defs"]["alert"]["properties"]["action"]["enum"]
    assert {*ACTIONS, None} == set(enum)
