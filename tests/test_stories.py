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
