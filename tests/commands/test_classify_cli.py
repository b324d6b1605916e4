"""`wirewatch classify` end to end, as a user runs it (a real subprocess)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LOCAL_FETCH, REPO
from tests.support import wirewatch

SYRIA = str(REPO / "config/watchlists/syria.yaml")


def test_jsonl_in_jsonl_out_in_order() -> None:
    """One output line per input item, in input order, with the documented fields."""
    items = [
        {"id": "a", "title": "Rebels take Hama's airport", "summary": "<p>Near <b>Homs</b></p>"},
        {"id": 7, "title": "Stock markets rally"},
    ]
    result = wirewatch("classify", "--watchlist", SYRIA, stdin="\n".join(map(json.dumps, items)))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "7"]
    assert lines[0]["matches"][0] == {
        "entity": "hama",
        "kind": "place",
        "name": "Hama",
        "field": "title",
        "start": 12,
        "end": 18,
        "text": "Hama's",
    }
    assert (lines[0]["matches"][1]["field"], lines[0]["matches"][1]["text"]) == ("summary", "Homs")
    assert (lines[0]["alert"], lines[1]["alert"]) == (True, False)


def test_malformed_lines_are_reported_and_skipped() -> None:
    """A bad line is named by its number, the rest is classified, and the exit code is 1."""
    stdin = '{"id": "a", "title": "Homs"}\n{"id": oops}\n{"title": "no id"}\n{"id": "b", "title": "x"}\n'
    result = wirewatch("classify", "--watchlist", SYRIA, stdin=stdin)
    assert result.returncode == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "b"]
    assert "input line 2: not valid JSON" in result.stderr
    assert 'input line 3: missing "id"' in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_watchlist_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\nentities:\n  - {id: x, kind: town, names: [X]}\n", encoding="utf-8")
    result = wirewatch("classify", "--watchlist", str(bad), stdin="")
    assert result.returncode == 2
    assert "entities[0] (id 'x').kind" in result.stderr and str(bad) in result.stderr
    assert "Traceback" not in result.stderr


def test_feed_input_is_recognised_by_content(tmp_path: Path) -> None:
    """An RSS document is read as a feed; ids are guids, else links."""
    pytest.importorskip("wirewatch.ingest.parse")
    feed = tmp_path / "feed.xml"
    feed.write_text(
        """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><guid>g-1</guid><title>Fighting near Aleppo</title></item>
        <item><link>https://example.org/a</link><title>Weather</title></item>
        </channel></rss>""",
        encoding="utf-8",
    )
    result = wirewatch("classify", "--watchlist", SYRIA, "--input", str(feed))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["id"], x["alert"]) for x in lines] == [
        ("g-1", True),
        ("https://example.org/a", False),
    ]


def test_unparseable_feed_is_one_clear_line(tmp_path: Path) -> None:
    pytest.importorskip("wirewatch.ingest.parse")
    feed = tmp_path / "broken.xml"
    feed.write_text("<html><body>not a feed", encoding="utf-8")
    result = wirewatch("classify", "--watchlist", SYRIA, "--input", str(feed))
    assert 1 == result.returncode
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_explain_shows_highlights_and_counts() -> None:
    stdin = '{"id": "a", "title": "HTS enters Homs"}\n'
    result = wirewatch("classify", "--watchlist", SYRIA, "--explain", stdin=stdin)
    assert result.returncode == 0
    assert "[HTS|hts] enters [Homs|homs]" in result.stdout
    assert "1 items, 1 alerts" in result.stdout


def test_eval_f1(eval_dir: Path, tmp_path: Path) -> None:
    """On the labelled eval items the classifier reaches F1 >= 0.98 (score.py prints it)."""
    result = wirewatch(
        "classify",
        "--watchlist",
        str(eval_dir / "watchlist.yaml"),
        "--input",
        str(eval_dir / "dev-items.jsonl"),
    )
    out = tmp_path / "out.jsonl"
    out.write_text(result.stdout, encoding="utf-8")
    score = subprocess.run(
        [sys.executable, str(eval_dir / "score.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    f1 = float(score.split("f1 ")[1])
    print(score)
    assert f1 >= 0.98, score


def test_compiled_watchlist_is_cached_and_an_edit_compiles_afresh(tmp_path: Path) -> None:
    """The second run reads the cache; editing the watchlist is seen at once."""
    watchlist = tmp_path / "w.yaml"
    watchlist.write_text("name: t\nentities:\n  - {id: oslo, kind: place, names: [Oslo]}\n")
    stdin = '{"id": "1", "title": "Oslo and Bergen"}\n'
    env_cache = Path(os.environ["WIREWATCH_CACHE_DIR"])
    before = set(env_cache.glob("matcher-*.json"))
    first = wirewatch("classify", "--watchlist", str(watchlist), stdin=stdin)
    created = set(env_cache.glob("matcher-*.json")) - before
    assert 1 == len(created)
    second = wirewatch("classify", "--watchlist", str(watchlist), stdin=stdin)
    assert first.stdout == second.stdout
    watchlist.write_text("name: t\nentities:\n  - {id: bergen, kind: place, names: [Bergen]}\n")
    third = json.loads(wirewatch("classify", "--watchlist", str(watchlist), stdin=stdin).stdout)
    assert ["bergen"] == [m["entity"] for m in third["matches"]]


def _cached_entry(tmp_path: Path, name: str) -> tuple[Path, Path, str]:
    """A watchlist, its cache entry after one run, and an item that mentions Oslo."""
    watchlist = tmp_path / "w.yaml"
    name = f"{name}-{tmp_path.name}"  # an entry of its own for each test
    watchlist.write_text(f"name: {name}\nentities:\n  - {{id: oslo, kind: place, names: [Oslo]}}\n")
    stdin = '{"id": "1", "title": "Oslo news"}\n'
    cache = Path(os.environ["WIREWATCH_CACHE_DIR"])
    before = set(cache.glob("matcher-*.json"))
    wirewatch("classify", "--watchlist", str(watchlist), stdin=stdin)
    (entry,) = set(cache.glob("matcher-*.json")) - before
    return watchlist, entry, stdin


def _classify_oslo(watchlist: Path, stdin: str) -> None:
    result = wirewatch("classify", "--watchlist", str(watchlist), stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "" == result.stderr
    assert ["oslo"] == [m["entity"] for m in json.loads(result.stdout)["matches"]]


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: body[: len(body) // 2],  # a truncated write
        lambda body: b"",
        lambda body: b"cbuiltins\nint\n(S'x'\nS'y'\nS'z'\ntR.",  # a pickle of older code
        lambda body: body.replace(b'"Oslo"', b'"Bergen"'),  # bytes that fail the checksum
    ],
    ids=["truncated", "empty", "old-pickle", "edited"],
)
def test_a_damaged_cache_entry_is_compiled_afresh(tmp_path: Path, damage: Any) -> None:
    """An entry that cannot be read as ours is ignored and replaced; no error is shown."""
    watchlist, entry, stdin = _cached_entry(tmp_path, "damaged")
    good = entry.read_bytes()
    entry.write_bytes(damage(good))
    _classify_oslo(watchlist, stdin)
    assert good == entry.read_bytes()  # rewritten with the compiled matcher


def test_a_planted_pickle_runs_no_code(tmp_path: Path) -> None:
    """The cache is plain JSON: a pickle planted under the entry's name is never unpickled."""
    watchlist, entry, stdin = _cached_entry(tmp_path, "planted")
    marker = tmp_path / "pwned"
    entry.write_bytes(pickle.dumps(_Planted(str(marker))))
    _classify_oslo(watchlist, stdin)
    assert not marker.exists()


def test_an_entry_others_may_write_is_ignored(tmp_path: Path) -> None:
    """A well-formed entry that anyone could have written (mode 0666) is not read."""
    watchlist, entry, stdin = _cached_entry(tmp_path, "shared")
    forged = entry.read_bytes().replace(b'"Oslo"', b'"Bergen"')
    head, _, body = forged.partition(b"\n")
    head = head.rsplit(b" ", 1)[0] + b" " + hashlib.sha256(body).hexdigest().encode()
    entry.write_bytes(head + b"\n" + body)  # a forgery with a matching checksum
    entry.chmod(0o666)
    _classify_oslo(watchlist, stdin)
    assert entry.stat().st_mode & 0o077 == 0  # replaced by an entry of our own


class _Planted:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


def test_classify_leaves_the_garbage_collector_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Collection is off while compiling (in-process callers must get it back, even on error)."""
    import gc

    from wirewatch.cli import main

    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("name: t\nentities:\n  - {id: oslo, kind: place, names: [Oslo]}\n")
    bad.write_text("name: t\nentities:\n  - {id: oslo, kind: town, names: [Oslo]}\n")
    items = tmp_path / "items.jsonl"
    items.write_text('{"id": "1", "title": "Oslo"}\n')
    assert 0 == main(["classify", "--watchlist", str(good), "--input", str(items), "--no-cache"])
    assert gc.isenabled()
    assert 2 == main(["classify", "--watchlist", str(bad), "--input", str(items), "--no-cache"])
    assert gc.isenabled()
    gc.unfreeze()
    assert '"entity":"oslo"' in capsys.readouterr().out


def test_a_large_input_split_across_two_processes_keeps_order_and_line_numbers(
    tmp_path: Path,
) -> None:
    """Thousands of lines are classified by two processes; the output reads as if by one."""
    from wirewatch.commands.classify import _SPLIT_AT

    count = _SPLIT_AT + 1000
    lines = [
        json.dumps({"id": f"n{i}", "title": "Fighting near Homs" if i % 3 == 0 else "Markets"})
        for i in range(count)
    ]
    bad_line = count - 10  # in the second half, which the forked process reads
    lines[bad_line - 1] = "{not json"
    items = tmp_path / "items.jsonl"
    items.write_text("\n".join(lines) + "\n")
    result = wirewatch("classify", "--watchlist", SYRIA, "--input", str(items))
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    expected_ids = [f"n{i}" for i in range(count) if i != bad_line - 1]
    assert [o["id"] for o in out] == expected_ids
    assert all(o["alert"] == (int(o["id"][1:]) % 3 == 0) for o in out)
    assert f"input line {bad_line}: not valid JSON" in result.stderr
    only = wirewatch("classify", "--watchlist", SYRIA, "--input", str(items), "--only-alerts")
    assert [o["id"] for o in map(json.loads, only.stdout.splitlines())] == [
        i for i in expected_ids if int(i[1:]) % 3 == 0
    ]


def test_a_feed_url_is_fetched_and_classified(tmp_path: Path) -> None:
    """`--input URL`: a real HTTP round trip to a local server; a missing feed is one line.
    The server is on 127.0.0.1, so the config given with --config allows it."""
    from wirewatch.demo import FeedServer, SampleItem

    config = tmp_path / "wirewatch.yaml"
    config.write_text(json.dumps({"fetch": LOCAL_FETCH}), encoding="utf-8")
    server = FeedServer().start()
    try:
        url = server.add_feed(
            "wire",
            items=[
                SampleItem(
                    "g1", "Rebels reach Hama", "Fighting near Homs", "https://example.org/1"
                ),
                SampleItem("g2", "Weather", "Rain", "https://example.org/2"),
            ],
        )
        result = wirewatch(
            "classify", "--watchlist", SYRIA, "--config", str(config), "--input", url
        )
        missing = wirewatch(
            "classify", "--watchlist", SYRIA, "--config", str(config), "--input", server.url("nope")
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {("g1", True), ("g2", False)} == {(line["id"], line["alert"]) for line in lines}
    assert 2 == missing.returncode  # like a missing input file: the command names no input
    assert [
        f"wirewatch: error: cannot fetch {server.url('nope')}: HTTP 404 Not Found"
    ] == missing.stderr.splitlines()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_feed_in_utf16_or_utf32_is_recognised(tmp_path: Path, encoding: str) -> None:
    """Wide encodings, with or without a byte order mark, are feeds like any other."""
    declared = encoding.replace("-le", "le")
    feed = tmp_path / "feed.xml"
    feed.write_bytes(
        f"""<?xml version="1.0" encoding="{declared}"?>
        <rss version="2.0"><channel><title>Wire</title>
        <item><guid>g1</guid><title>Fighting near Homs</title></item>
        </channel></rss>""".encode(encoding)
    )
    result = wirewatch("classify", "--watchlist", SYRIA, "--input", str(feed))
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(line) for line in result.stdout.splitlines()]
    assert ("g1", ["homs"]) == (line["id"], [m["entity"] for m in line["matches"]])
