"""Story grouping: paraphrased reports of one event merge; other events stay apart."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wirewatch.plaintext import to_text
from wirewatch.stories import Signature, StoryIndex, item_text, jaccard, shingles

T0 = datetime(2024, 12, 1, 8, tzinfo=UTC)
STEP = timedelta(minutes=5)

# Reports of one event from several outlets, worded as each outlet would.
GROUPS: dict[str, list[tuple[str, str]]] = {
    "hama-falls": [
        (
            "Syrian rebels seize Hama after army withdraws",
            "Government troops pulled out of the central city of Hama as insurgents led by HTS"
            " entered.",
        ),
        (
            "Rebels take control of Hama as Syrian army pulls out",
            "The army said it had withdrawn from Hama to protect civilians after HTS-led"
            " insurgents entered the city.",
        ),
        (
            "Hama falls to rebels after Syrian army withdrawal",
            "Insurgents led by HTS entered the central city of Hama after government troops"
            " withdrew, the army said.",
        ),
    ],
    "assad-moscow": [
        (
            "Assad in Moscow after fleeing Syria, Russian media say",
            "Russian state media said Bashar al-Assad and his family had arrived in Moscow and"
            " been granted asylum.",
        ),
        (
            "Russian state media: Assad and family granted asylum in Moscow",
            "Bashar al-Assad has arrived in Moscow with his family, Russian state news agencies"
            " reported.",
        ),
        (
            "Assad and family arrive in Moscow, granted asylum - Russian state media",
            "Ousted Syrian President Bashar al-Assad is in Moscow, where he has been granted"
            " asylum, Russian news agencies said.",
        ),
    ],
    "homs-captured": [
        (
            "Rebels capture Homs, cutting Damascus off from the coast",
            "Opposition fighters said they had taken full control of Homs, severing the capital's"
            " link to the Mediterranean coast.",
        ),
        (
            "Opposition fighters take full control of Homs",
            "The capture of Homs cuts Damascus off from the Mediterranean coast, rebels said.",
        ),
    ],
    "latakia-strikes": [
        (
            "Israeli strikes hit Syrian navy in Latakia",
            "Israel said its jets struck Syrian naval vessels at Latakia port overnight.",
        ),
        (
            "Israel strikes Syrian naval fleet at Latakia port",
            "Israeli jets hit Syrian navy vessels in the port of Latakia overnight, the military"
            " said.",
        ),
    ],
}

# Other events about the same places and actors, often in the same words.
SINGLES: list[tuple[str, str]] = [
    (
        "Homs residents clear rubble as shops reopen",
        "A month after the city changed hands, residents of Homs cleared debris from the streets.",
    ),
    (
        "Rebels capture Hama, Syria's fourth-largest city",
        "Opposition fighters said they had taken full control of Hama.",
    ),
    (
        "Russia says Assad left Syria after talks with rebels",
        "The foreign ministry said he had given instructions for a peaceful transfer of power.",
    ),
    ("Rebels reach Homs outskirts", "Fighters were seen on the northern edge of the city."),
    ("Aleppo airport reopens to flights", "The first commercial flight in weeks landed in Aleppo."),
    (
        "Israeli strikes hit air defences near Damascus",
        "Israel said its jets struck weapons depots south of the capital.",
    ),
    (
        "Syrian army withdraws from Daraa",
        "Government troops pulled out of the southern city as local fighters advanced.",
    ),
]


def group(items: Sequence[tuple[str, str, tuple[str, ...]]]) -> list[str]:
    """Feed texts through a fresh index, STEP apart; return each one's story id."""
    index = StoryIndex()
    stories = []
    for n, (title, summary, entities) in enumerate(items):
        text, at = item_text(title, summary), T0 + n * STEP
        story = index.find(text, at, entities)
        if story is None:
            story = f"story-{n}"
            index.add(story, text, at, entities)
        stories.append(story)
    return stories


def pairwise(labels: Sequence[str | None], stories: Sequence[str]) -> tuple[float, float]:
    """Precision and recall of "same story" pairs against the labels (None: a story alone)."""
    pairs = list(itertools.combinations(range(len(labels)), 2))
    gold = {(a, b) for a, b in pairs if labels[a] is not None and labels[a] == labels[b]}
    found = {(a, b) for a, b in pairs if stories[a] == stories[b]}
    precision = len(gold & found) / len(found) if found else 1.0
    recall = len(gold & found) / len(gold) if gold else 1.0
    return precision, recall


def test_shingles_normalise_case_punctuation_and_endings() -> None:
    """Case, punctuation, possessives, stopwords and plural or tense endings do not count."""
    assert shingles("Pedersen URGED the parties' talks; Syria’s rebels") == shingles(
        "pedersen urges party talk in syria: rebel"
    )


def test_shingles_keep_other_scripts() -> None:
    """Words in other scripts are kept as words."""
    assert {"حمص", "تحت", "سيطرة", "الفصائل"} == set(shingles("حمص تحت سيطرة الفصائل"))


def test_signature_round_trip() -> None:
    """A signature encodes to one line and decodes to itself."""
    signature = Signature.of("Rebels capture Aleppo", ["aleppo", "hts"])
    assert signature == Signature.decode(signature.encode())


def test_paraphrase_joins_the_story() -> None:
    """A rewrite of a report, minutes later, finds the story."""
    index = StoryIndex()
    [(t1, s1), (t2, s2), _] = GROUPS["hama-falls"]
    index.add("hama", item_text(t1, s1), T0)
    assert "hama" == index.find(item_text(t2, s2), T0 + STEP)


def test_same_words_outside_the_window_are_a_new_story() -> None:
    """The same report after the window (48 hours) is a new story."""
    index = StoryIndex()
    text = item_text(*GROUPS["homs-captured"][0])
    index.add("homs", text, T0)
    assert ("homs", None) == (
        index.find(text, T0 + timedelta(hours=47)),
        index.find(text, T0 + timedelta(hours=49)),
    )


def test_same_place_other_event_stays_apart() -> None:
    """'Rebels capture Homs' and, a month later, 'Homs residents clear rubble' are two
    stories: apart by wording even inside the window, and by the window anyway."""
    index = StoryIndex(window=timedelta(days=60))
    index.add("capture", item_text(*GROUPS["homs-captured"][0]), T0)
    rubble = item_text(*SINGLES[0])
    assert None is index.find(rubble, T0 + timedelta(days=30))


def test_entities_keep_templated_statements_apart() -> None:
    """One template about two actors is two events when their tracked entities differ."""
    index = StoryIndex()
    china = item_text(
        "China calls for calm in Syria", "Beijing urged all parties to protect civilians."
    )
    iran = item_text(
        "Iran calls for calm in Syria",
        "Tehran urged all parties to protect civilians and respect Syria's sovereignty.",
    )
    index.add("china", china, T0, ["china"])
    assert None is index.find(iran, T0 + STEP, ["iran"])
    assert "china" == index.find(china, T0 + STEP, ["china", "syria"])


def test_short_texts_do_not_merge() -> None:
    """A text with too few words to judge never joins a story."""
    index = StoryIndex()
    index.add("calm", "China calls for calm", T0)
    assert None is index.find("China calls for calm", T0 + STEP)


def test_expire_forgets_old_stories() -> None:
    """Expired stories are no longer found; later ones are."""
    index = StoryIndex()
    index.add("old", item_text(*GROUPS["homs-captured"][0]), T0)
    index.add("new", item_text(*GROUPS["latakia-strikes"][0]), T0 + timedelta(hours=3))
    dropped = index.expire(T0 + timedelta(hours=1))
    assert (1, ["new"]) == (dropped, [s for s in ("old", "new") if s in index])
    assert None is index.find(item_text(*GROUPS["homs-captured"][1]), T0 + STEP)


def test_index_warms_from_stored_signatures() -> None:
    """An index warmed from encoded signatures finds what the original index found."""
    original = StoryIndex()
    signature = original.add("hama", item_text(*GROUPS["hama-falls"][0]), T0, ["hama"])
    warmed = StoryIndex()
    warmed.add_signature("hama", Signature.decode(signature.encode()), T0)
    later = item_text(*GROUPS["hama-falls"][2])
    assert "hama" == warmed.find(later, T0 + STEP, ["hama"])


def test_best_candidate_wins() -> None:
    """Of two candidate stories, the item joins the one it resembles most."""
    index = StoryIndex(min_jaccard=0.2, min_shared=2)
    [_, (t2, s2), (t3, s3)] = GROUPS["assad-moscow"]
    index.add("near", item_text(t2, s2), T0)
    index.add("far", item_text(*SINGLES[2]), T0)
    assert jaccard(shingles(item_text(t3, s3)), shingles(item_text(t2, s2))) > 0.5
    assert "near" == index.find(item_text(t3, s3), T0 + STEP)


def test_hand_written_scenarios_group_exactly() -> None:
    """Every paraphrase group merges and nothing else does (pairwise P = R = 1)."""
    labelled: list[tuple[str | None, str, str]] = [
        (k, t, s) for k, texts in GROUPS.items() for t, s in texts
    ]
    labelled += [(None, t, s) for t, s in SINGLES]
    stories = group([(t, s, ()) for _, t, s in labelled])
    assert (1.0, 1.0) == pairwise([k for k, _, _ in labelled], stories)


@pytest.mark.parametrize("with_entities", [False, True], ids=["text", "text+entities"])
def test_dev_items_group_exactly(eval_dir: Path, with_entities: bool) -> None:
    """The labelled dev items, in file order minutes apart, group with P = R = 1."""
    rows = [json.loads(line) for line in (eval_dir / "dev-items.jsonl").read_text().splitlines()]
    items = [
        (to_text(r["title"]), to_text(r["summary"]), tuple(r["expect"]) if with_entities else ())
        for r in rows
    ]
    assert (1.0, 1.0) == pairwise([r["story"] for r in rows], group(items))
