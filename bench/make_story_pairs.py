"""Build the labelled story pairs (tests/data/story_pairs.json) from real texts in ../shared/data.

Run once by hand (``python bench/make_story_pairs.py``); the output is committed so that
tests and ``bench/stories.py`` never read ../shared.  Deterministic: same input, same file.

Evidence and reconstruction, said plainly:

* **Real texts** (evidence): dangcongsan.vn articles (DCSVN.json, baodcs_data.json),
  qdnd.vn article bodies (articles.json), Tạp chí Tuyên giáo articles (CSV), and the
  nhandan.vn / baochinhphu.vn RSS items (title + summary).  DCSVN.json lost its paragraph
  breaks (its crawler joined ``<p>`` texts with spaces), so its paragraphs are rebuilt
  as runs of three sentences — reconstruction.
* **Reprints** (reconstruction, by the edits outlets really make when they carry a
  TTXVN dispatch or reprint their own piece): the outlet tag before the lead changed,
  the byline changed or an agency credit added, the lead trimmed to its first sentence,
  a paragraph dropped, the headline reworded.  Labelled *same*.
* **Different stories on the same topic** (evidence): for each real text, the other real
  texts of the corpus sharing the most words with it (same names, same Party stock
  phrases, same events).  Labelled *different*.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "tests" / "data" / "story_pairs.json"
_SENTENCE = re.compile(r"(?<=[.!?…”])\s+(?=[A-ZĐÀ-Ỹ“\"])")
_WORD = re.compile(r"\w+")
OUTLET_TAGS = ["(ĐCSVN) - ", "(QĐND) - ", "(NDO) - ", "(Chinhphu.vn) - ", "TTXVN - ", ""]
BYLINES = ["Theo TTXVN", "Nguồn: TTXVN", "Tin, ảnh: Minh Anh", "Nhóm phóng viên", "PV", "Theo Báo Nhân Dân"]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text)).strip()


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(nfc(text)) if s]


def dcsvn() -> list[dict]:
    raw = (DATA / "dangcongsan" / "DCSVN.json").read_text(encoding="utf-8")
    decoder, pos, out = json.JSONDecoder(), 0, []
    while True:
        while pos < len(raw) and raw[pos].isspace():
            pos += 1
        if pos >= len(raw):
            break
        obj, pos = decoder.raw_decode(raw, pos)
        parts = sentences(obj.get("Content") or "")
        if len(parts) < 6:
            continue
        paragraphs = [" ".join(parts[i:i + 3]) for i in range(0, len(parts), 3)]
        out.append({"site": "dangcongsan.vn", "title": nfc(obj["Title"]), "paragraphs": paragraphs})
    return out


def baodcs() -> list[dict]:
    data = json.loads((DATA / "dangcongsan" / "baodcs_data.json").read_text(encoding="utf-8"))
    seen, out = set(), []
    for item in data.values():
        if not item.get("Content") or item["Title"] in seen:
            continue
        seen.add(item["Title"])
        lines = [nfc(line) for line in item["Content"].split("\n") if nfc(line)]
        out.append({"site": "dangcongsan.vn", "title": nfc(item["Title"]), "paragraphs": lines})
    return out


def qdnd() -> list[dict]:
    data = json.loads((DATA / "qdnd" / "articles.json").read_text(encoding="utf-8"))
    seen, out = set(), []
    for item in data:
        if item["title"] in seen:
            continue
        seen.add(item["title"])
        tree = lxml_html.fromstring(item["article_text"])
        paragraphs = [nfc(p.text_content()) for p in tree.iter("p") if nfc(p.text_content())]
        if len(paragraphs) < 3:
            continue
        out.append({"site": "qdnd.vn", "title": nfc(item["title"]),
                    "paragraphs": [nfc(item["summary"]), *paragraphs]})
    return out


def tuyengiao() -> list[dict]:
    out = []
    with (DATA / "tuyengiao" / "105_tapchituyengiao-11-2020.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            body = re.sub(r"[_*#>]|!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)", r"\1", row["body"])
            paragraphs = [nfc(p) for p in re.split(r"\n\s*\n", body) if len(nfc(p)) > 40]
            if len(paragraphs) < 3:
                continue
            lead = nfc(row.get("subhead") or "")
            out.append({"site": "tuyengiao.vn", "title": nfc(row["title"]),
                        "paragraphs": [lead, *paragraphs] if lead else paragraphs})
    return out


def rss() -> list[dict]:
    data = json.loads((DATA / "nhandan_baochinhphu_rss" / "new_items_detail.json").read_text(encoding="utf-8"))
    out = []
    for item in data:
        if item["outlet"] not in ("Báo Nhân Dân", "Báo Điện tử Chính phủ"):
            continue
        summary = nfc(lxml_html.fromstring(f"<div>{item['summary']}</div>").text_content())
        if summary:
            site = "nhandan.vn" if item["outlet"] == "Báo Nhân Dân" else "baochinhphu.vn"
            out.append({"site": site, "title": nfc(item["title"]), "paragraphs": [summary]})
    return out


def reprint(article: dict, rng: random.Random, edits: list[str]) -> dict:
    """A copy of ``article`` as another outlet (or the same one, again) would publish it."""
    title, paragraphs = article["title"], list(article["paragraphs"])
    if "byline" in edits:
        if paragraphs and len(paragraphs[-1]) < 40:
            paragraphs[-1] = rng.choice(BYLINES)
        else:
            paragraphs.append(rng.choice(BYLINES))
    if "paragraph" in edits and len(paragraphs) >= 4:
        del paragraphs[rng.randrange(1, len(paragraphs) - 1)]
    if "lead" in edits:
        first = sentences(paragraphs[0])
        paragraphs[0] = first[0] if len(first) > 1 else paragraphs[0][: max(40, len(paragraphs[0]) // 2)]
    if "tag" in edits:
        paragraphs[0] = rng.choice(OUTLET_TAGS) + paragraphs[0]
    if "title" in edits:
        words = title.split()
        title = " ".join(words[: max(4, len(words) * 2 // 3)])
        title = rng.choice(["", "Video: ", "Toàn văn: ", "Tin tổng hợp: "]) + title
    return {"site": rng.choice(["nhandan.vn", "qdnd.vn", "baochinhphu.vn", article["site"]]),
            "title": title, "paragraphs": paragraphs}


def words(article: dict) -> set[str]:
    return set(_WORD.findall(" ".join([article["title"], *article["paragraphs"]]).lower()))


def main() -> int:
    if not DATA.is_dir():
        print(f"no real texts at {DATA}", file=sys.stderr)
        return 2
    rng = random.Random(20260)
    originals = dcsvn() + baodcs() + qdnd() + tuyengiao() + rss()
    texts: dict[str, dict] = {}
    pairs: list[dict] = []

    def add(article: dict) -> str:
        key = f"t{len(texts):04d}"
        paragraphs = article["paragraphs"]
        texts[key] = {"site": article["site"], "title": article["title"],
                      "summary": paragraphs[0] if len(paragraphs) > 1 else None,
                      "body": "\n\n".join(paragraphs[1:] if len(paragraphs) > 1 else paragraphs)}
        return key

    keys = [add(a) for a in originals]
    edit_sets = [["tag", "byline"], ["lead"], ["paragraph"], ["title", "tag"],
                 ["tag", "byline", "lead", "paragraph"], ["title", "lead", "paragraph", "byline"]]
    for key, article in zip(keys, originals):
        if len(article["paragraphs"]) < 2:
            continue  # RSS items: too short to reprint with a paragraph change
        chosen = rng.sample(edit_sets, 2)
        copies = [add(reprint(article, rng, edits)) for edits in chosen]
        for copy, edits in zip(copies, chosen):
            pairs.append({"a": key, "b": copy, "same": True, "kind": "reprint:" + "+".join(edits)})
        pairs.append({"a": copies[0], "b": copies[1], "same": True, "kind": "reprint-vs-reprint"})
    vocab = [words(a) for a in originals]
    seen: set[tuple[str, str]] = set()
    for i, key in enumerate(keys):
        scored = sorted(((len(vocab[i] & vocab[j]) / len(vocab[i] | vocab[j]), j)
                         for j in range(len(keys)) if j != i
                         and originals[j]["title"] != originals[i]["title"]), reverse=True)
        for _, j in scored[:2]:
            pair = tuple(sorted((key, keys[j])))
            if pair not in seen:
                seen.add(pair)
                pairs.append({"a": pair[0], "b": pair[1], "same": False, "kind": "same-topic"})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"about": __doc__.strip().splitlines()[0], "texts": texts, "pairs": pairs},
                              ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    same = sum(p["same"] for p in pairs)
    print(f"{len(texts)} texts, {len(pairs)} pairs ({same} same story, {len(pairs) - same} different) → {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
