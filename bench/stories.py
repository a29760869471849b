"""Precision and recall of story grouping on the labelled pairs built from real texts.

    python bench/stories.py [--sweep]

Two figures: the pair decision itself (``Signature.same_story``), and the grouping as the
archive does it — every text added in turn to an LSH index, a pair counted as grouped when
both texts end in one story (so LSH misses and transitive merges are both measured).
``--sweep`` prints the pair decision for other thresholds, to re-tune them.
The pairs: tests/data/story_pairs.json, made by bench/make_story_pairs.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler import stories  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "story_pairs.json"


def scores(decisions: list[tuple[bool, bool]]) -> tuple[float, float]:
    tp = sum(1 for truth, said in decisions if truth and said)
    fp = sum(1 for truth, said in decisions if not truth and said)
    fn = sum(1 for truth, said in decisions if truth and not said)
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sweep", action="store_true")
    args = parser.parse_args()
    data = json.loads(PAIRS.read_text(encoding="utf-8"))
    texts, pairs = data["texts"], data["pairs"]
    start = time.perf_counter()
    sigs = {key: stories.article_signature(t["title"], t["summary"], t["body"]) for key, t in texts.items()}
    elapsed = time.perf_counter() - start
    index = stories.StoryIndex()
    story = {key: index.add(key, sig) for key, sig in sigs.items()}

    pair_decisions = [(p["same"], sigs[p["a"]].same_story(sigs[p["b"]])) for p in pairs]
    group_decisions = [(p["same"], story[p["a"]] == story[p["b"]]) for p in pairs]
    print(f"{len(texts)} texts, {len(pairs)} labelled pairs "
          f"({sum(p['same'] for p in pairs)} same story); signatures {len(texts) / elapsed:.0f} texts/s")
    for name, decisions in (("pair decision", pair_decisions), ("LSH grouping", group_decisions)):
        precision, recall = scores(decisions)
        print(f"{name:14s} precision {precision:.3f} recall {recall:.3f}")
    same = [p for p in pairs if p["same"]]
    weakest = min(same, key=lambda p: sigs[p["a"]].containment(sigs[p["b"]]))
    closest = max((p for p in pairs if not p["same"]), key=lambda p: sigs[p["a"]].jaccard(sigs[p["b"]]))
    print(f"margin: weakest same-story pair J={sigs[weakest['a']].jaccard(sigs[weakest['b']]):.2f} "
          f"C={sigs[weakest['a']].containment(sigs[weakest['b']]):.2f} ({weakest['kind']}); "
          f"closest different stories J={sigs[closest['a']].jaccard(sigs[closest['b']]):.2f} "
          f"C={sigs[closest['a']].containment(sigs[closest['b']]):.2f}; thresholds "
          f"J≥{stories.JACCARD} or C≥{stories.CONTAINMENT}")
    misses = Counter(p["kind"] for p, (truth, said) in zip(pairs, group_decisions) if truth != said)
    if misses:
        print("wrong, by kind:", dict(misses))
    if args.sweep:
        for jac in (0.3, 0.4, 0.45, 0.5, 0.6):
            for con in (0.5, 0.6, 0.7, 0.8, 1.01):
                said = [(p["same"], sigs[p["a"]].jaccard(sigs[p["b"]]) >= jac
                         or sigs[p["a"]].containment(sigs[p["b"]]) >= con) for p in pairs]
                precision, recall = scores(said)
                print(f"  jaccard≥{jac:.2f} containment≥{con:.2f}: P {precision:.3f} R {recall:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
