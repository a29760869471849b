"""Stories across sites: reprints of one real text are one story, other stories on its topic are not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler import stories

PAIRS = json.loads((Path(__file__).parent / "data" / "story_pairs.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def signatures() -> dict[str, stories.Signature]:
    return {key: stories.article_signature(t["title"], t["summary"], t["body"])
            for key, t in PAIRS["texts"].items()}


def test_labelled_real_pairs_are_told_apart(signatures: dict[str, stories.Signature]) -> None:
    index = stories.StoryIndex()
    story = {key: index.add(key, sig) for key, sig in signatures.items()}
    wrong = [p for p in PAIRS["pairs"] if (story[p["a"]] == story[p["b"]]) != p["same"]]
    assert len(PAIRS["pairs"]) > 400
    assert sum(p["same"] for p in PAIRS["pairs"]) > 200
    assert not wrong, wrong[:5]


def test_outlet_tag_byline_and_a_dropped_paragraph_keep_one_story() -> None:
    text = PAIRS["texts"]["t0001"]
    paragraphs = text["body"].split("\n\n")
    reprint = stories.article_signature(
        text["title"] + " (video)", "(QĐND) - " + text["summary"],
        "\n\n".join(paragraphs[:1] + paragraphs[2:] + ["Theo TTXVN"]))
    assert stories.article_signature(text["title"], text["summary"], text["body"]).same_story(reprint)


def test_nfd_text_is_the_same_story_as_nfc(signatures: dict[str, stories.Signature]) -> None:
    import unicodedata

    text = PAIRS["texts"]["t0002"]
    nfd = stories.article_signature(*(unicodedata.normalize("NFD", text[k]) for k in ("title", "summary", "body")))
    assert nfd.jaccard(signatures["t0002"]) == 1.0


def test_diacritics_are_significant() -> None:
    assert stories.shingles("bàn về kinh tế") != stories.shingles("bán về kinh tế")


def test_too_little_text_is_never_a_story() -> None:
    short = stories.signature("Quốc hội họp phiên bế mạc")
    assert not short.same_story(stories.signature("Quốc hội họp phiên bế mạc"))


def test_signature_survives_storage(signatures: dict[str, stories.Signature]) -> None:
    sig = signatures["t0003"]
    back = stories.Signature.from_bytes(sig.to_bytes())
    assert back.size == sig.size and back.jaccard(sig) == 1.0 and back.bands() == sig.bands()
    assert len(sig.to_bytes()) == 4 + 4 * stories.NUM_PERM


def test_one_story_on_two_sites_is_grouped_named_and_deduped(db_url: str, tmp_path: Path) -> None:
    import urllib.request
    from dataclasses import replace
    from datetime import datetime, timedelta, timezone

    import feedparser

    from crawler.archive.stories_store import Stories
    from crawler.config import Config
    from crawler.items import Article
    from crawler.storage import Storage
    from feeds.build import build_feeds
    from feeds.serve import start_feed_server

    storage = Storage(db_url)
    stories_db = Stories(storage.engine)
    now = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    text = PAIRS["texts"]["t0001"]
    other = PAIRS["texts"]["t0005"]
    original = Article(url="https://dangcongsan.vn/thoi-su/bai-1.html", site="dangcongsan",
                       title=text["title"], summary="(ĐCSVN) - " + text["summary"],
                       body_text=text["body"], body_html=f"<p>{text['body']}</p>",
                       published=now, article_id="1")
    carried = replace(original, url="https://qdnd.vn/chinh-tri/bai-9.html", site="qdnd",
                      summary="(QĐND) - " + text["summary"], published=now + timedelta(hours=2),
                      body_text=text["body"] + "\n\nTheo TTXVN", article_id="9")
    unrelated = replace(original, url="https://dangcongsan.vn/thoi-su/bai-2.html",
                        title=other["title"], summary=other["summary"], body_text=other["body"],
                        body_html=f"<p>{other['body']}</p>", article_id="2",
                        published=now + timedelta(hours=1))
    for article in (original, unrelated, carried):
        key = f"{article.site}:{article.article_id}"
        storage.upsert(key, article)
        stories_db.assign(key)
    stories = stories_db.stories_of([original.url, carried.url, unrelated.url])
    assert stories[original.url] == stories[carried.url] != stories[unrelated.url]
    assert stories_db.also_in([original.url]) == {original.url: ["qdnd.vn"]}  # the outlet's host

    feeds_dir = tmp_path / "feeds"
    build_feeds(storage, feeds_dir, ["dangcongsan"])
    feed = feedparser.parse(feeds_dir / "dangcongsan.atom")
    entry = next(e for e in feed.entries if e.link == original.url)
    assert "Cũng đăng trên: qdnd" in entry.content[0].value
    assert all("Cũng đăng trên" not in e.content[0].value for e in feed.entries if e.link != original.url)

    config = Config(db_url=db_url, feeds_dir=feeds_dir, data_dir=tmp_path)
    server = start_feed_server(config, port=0)
    try:
        with urllib.request.urlopen(f"{server.url}/all.atom") as response:
            everything = feedparser.parse(response.read())
        with urllib.request.urlopen(f"{server.url}/all.atom?dedupe=story") as response:
            deduped = feedparser.parse(response.read())
    finally:
        server.stop()
        storage.close()
    assert {e.link for e in everything.entries} == {original.url, carried.url, unrelated.url}
    # the newest copy of the story stands for it
    assert {e.link for e in deduped.entries} == {carried.url, unrelated.url}
    assert deduped.feed.links[0].href.endswith("/all.atom?dedupe=story")
