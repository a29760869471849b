"""Search: Vietnamese typed without diacritics finds text with them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import delete

from crawler.archive.search_store import Search
from crawler.items import Article
from crawler.search import Query, fold, snippet
from crawler.storage import ArticleRow, Storage

TEXTS = json.loads((Path(__file__).parent / "data" / "story_pairs.json").read_text(encoding="utf-8"))["texts"]
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
HOSTILE = ['"', '""', "'", "AND", "OR NOT", "NEAR(", "NEAR(a b, 2)", "title:x", "*", "^quoc",
           "quoc*", "-dang", "(((", ")", "') OR 1=1 --", "\\", "\x00", "đ'; DROP TABLE articles; --",
           "a:b:c", "{title}: x", "x AND", "\"unterminated quoc", "'quoc' & 'hoi'", "!!", "<->",
           "quốc:*", "", "   ", "🙂"]


def article(n: int, site: str, title: str, body: str, summary: str | None = None,
            published: datetime = NOW) -> Article:
    return Article(url=f"https://{site}.vn/bai-{n}.html", site=site, title=title,
                   published=published, summary=summary, body_text=body,
                   body_html=f"<p>{body}</p>", article_id=str(n))


@pytest.fixture
def store(db_url: str):
    storage = Storage(db_url)
    items = [
        article(1, "dangcongsan", "Quốc hội thông qua Luật Đất đai",
                "Chiều nay, Quốc hội biểu quyết thông qua Luật Đất đai sửa đổi với đa số đại biểu tán thành."),
        article(2, "dangcongsan", "Đảng bộ tỉnh tổ chức đại hội",
                "Đảng bộ tỉnh đang chuẩn bị văn kiện đại hội nhiệm kỳ mới.",
                published=NOW - timedelta(days=40)),
        article(3, "qdnd", "Bộ đội giúp dân", "Các chiến sĩ đang giúp dân gặt lúa, dáng vẻ khẩn trương."),
        article(4, "qdnd", "Hội nghị quốc tế", "Hội nghị bàn về hợp tác quốc phòng khu vực."),
    ]
    for item in items:
        assert storage.upsert(f"{item.site}:{item.article_id}", item) == "new"
    yield storage, Search(storage.engine)
    storage.close()


def titles(hits) -> set[str]:
    return {hit.title for hit in hits}


def test_without_diacritics_finds_text_with_them(store) -> None:
    _, search = store
    assert titles(search.search('"quoc hoi"')) == {"Quốc hội thông qua Luật Đất đai"}
    assert titles(search.search('"QUOC HOI"')) == {"Quốc hội thông qua Luật Đất đai"}
    # two words, anywhere: "Hội nghị quốc tế" has both
    assert titles(search.search("quoc hoi")) == {"Quốc hội thông qua Luật Đất đai", "Hội nghị quốc tế"}
    assert titles(search.search("luat dat dai")) == {"Quốc hội thông qua Luật Đất đai"}


def test_d_finds_đ(store) -> None:
    _, search = store
    # dang: Đảng (article 2), đang (articles 2, 3), dáng (3)
    assert titles(search.search("dang")) == {"Đảng bộ tỉnh tổ chức đại hội", "Bộ đội giúp dân"}
    assert titles(search.search('"dang bo"')) == {"Đảng bộ tỉnh tổ chức đại hội"}


def test_exact_diacritics_narrow_the_search(store) -> None:
    _, search = store
    assert titles(search.search("Đảng")) == {"Đảng bộ tỉnh tổ chức đại hội"}
    assert titles(search.search("dáng")) == {"Bộ đội giúp dân"}
    assert titles(search.search("quốc")) == {"Quốc hội thông qua Luật Đất đai", "Hội nghị quốc tế"}
    assert search.search("quôc hội") == []  # a wrong tone is another word


def test_phrases_must_be_adjacent_and_every_term_must_match(store) -> None:
    _, search = store
    assert titles(search.search('"hoi nghi"')) == {"Hội nghị quốc tế"}
    assert search.search('"nghi hoi"') == []
    assert search.search("quoc hoi chien si") == []


def test_title_ranks_above_body(store) -> None:
    _, search = store
    hits = search.search("hoi nghi")
    assert hits[0].title == "Hội nghị quốc tế"


def test_words_side_by_side_rank_first(store) -> None:
    _, search = store
    # both articles hold both words; only one holds them as the word "Quốc hội"
    assert [h.title for h in search.search("quoc hoi")][0] == "Quốc hội thông qua Luật Đất đai"


def test_site_and_since_filter(store) -> None:
    _, search = store
    assert titles(search.search("dang", site="qdnd")) == {"Bộ đội giúp dân"}
    assert titles(search.search("dang", since=NOW - timedelta(days=7))) == {"Bộ đội giúp dân"}


def test_snippets_mark_the_matched_words(store) -> None:
    _, search = store
    hit = search.search("bieu quyet")[0]
    assert "<mark>biểu</mark> <mark>quyết</mark>" in hit.snippet.html()
    assert "[biểu] [quyết]" in hit.snippet.text()


@pytest.mark.parametrize("query", HOSTILE)
def test_operators_and_quotes_are_never_an_error(store, query: str) -> None:
    storage, search = store
    hits = search.search(query)
    assert isinstance(hits, list)
    assert storage.count() == 4


def test_the_index_follows_edits_and_deletions(store) -> None:
    storage, search = store
    old = storage.find("qdnd:4")
    edited = replace(old.to_article(), site="qdnd", article_id="4",
                     body_text="Hội nghị bàn về an ninh hàng hải trong khu vực.")
    assert storage.upsert("qdnd:4", edited) == "updated"
    assert search.search("quoc phong") == []
    assert titles(search.search("hang hai")) == {"Hội nghị quốc tế"}
    with storage.engine.begin() as conn:
        conn.execute(delete(ArticleRow).where(ArticleRow.key == "qdnd:4"))
    assert search.search("hang hai") == []


def test_rebuild_gives_the_same_answers(store) -> None:
    _, search = store
    before = [h.key for h in search.search("dang")]
    search.rebuild()
    assert [h.key for h in search.search("dang")] == before


def test_real_texts_are_found_by_their_folded_words(db_url: str) -> None:
    storage = Storage(db_url)
    search = Search(storage.engine)
    originals = [(k, t) for k, t in sorted(TEXTS.items()) if t["summary"]][:40]
    for n, (key, text) in enumerate(originals):
        storage.upsert(f"dangcongsan:{n}", article(n, "dangcongsan", text["title"], text["body"],
                                                   text["summary"]))
    for n, (key, text) in enumerate(originals[:10]):
        words = fold(text["title"]).split()[:4]
        hits = search.search('"' + " ".join(words) + '"', limit=50)
        assert f"dangcongsan:{n}" in {h.key for h in hits}, (text["title"], words)
    storage.close()


def test_query_folding_rules() -> None:
    assert fold("Đảng Cộng sản Việt Nam") == "dang cong san viet nam"
    assert fold("NGƯỜI ƯU TÚ") == "nguoi uu tu"
    query = Query.parse('quoc "Đảng bộ" NEAR(x*')
    assert query.fts5_exact() == '"đảng bộ"'
    assert '"dang bo" OR "đang bo"' in query.fts5_folded()
    assert not Query.parse('" * ( ) : ^ -')
    assert "<mark>" not in snippet("không có gì", Query.parse("quoc")).html()


def test_served_search_feed(store, tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    import feedparser

    from crawler.config import Config
    from feeds.serve import start_feed_server

    storage, _ = store
    feeds_dir = tmp_path / "feeds"
    feeds_dir.mkdir()
    config = Config(db_url=storage.engine.url.render_as_string(hide_password=False),
                    feeds_dir=feeds_dir, data_dir=tmp_path)
    server = start_feed_server(config, port=0)
    try:
        url = f"{server.url}/search.atom?q=quoc+hoi&utm_source=x"
        with urllib.request.urlopen(url) as response:
            assert response.status == 200 and "atom" in response.headers["Content-Type"]
            feed = feedparser.parse(response.read())
        assert {e.title for e in feed.entries} == {"Quốc hội thông qua Luật Đất đai", "Hội nghị quốc tế"}
        assert feed.feed.links[0].href.endswith("/search.atom?q=quoc+hoi")  # self link, no tracking
        with urllib.request.urlopen(f"{server.url}/search.json?q=%22Đảng%22&site=dangcongsan".replace(
                "Đảng", "%C4%90%E1%BA%A3ng")) as response:
            items = json.loads(response.read())["items"]
        assert [i["title"] for i in items] == ["Đảng bộ tỉnh tổ chức đại hội"]
        for bad in ("/search.atom", "/search.atom?q=x&site=nowhere", "/all.atom?dedupe=maybe"):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(server.url + bad)
            assert error.value.code in (400, 404)
        with urllib.request.urlopen(f"{server.url}/search.rss?q=%22%29%20OR%20NEAR(") as response:
            assert response.status == 200
    finally:
        server.stop()
