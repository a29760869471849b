"""The store on both backends: articles, versions, and refreshes that are not edits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone

from sqlalchemy import func, select

from crawler.items import Article, Image
from crawler.storage import ArticleContent, ArticleVersion, Storage

KEY = "dangcongsan:577383"
BODY = ("Sáng 1/3, Thành ủy Sóc Trăng tổ chức hội nghị sơ kết việc thực hiện Quy chế dân chủ ở cơ sở. "
        "Đồng chí Bí thư Thành ủy phát biểu chỉ đạo, đề nghị các cấp ủy tiếp tục phát huy quyền làm chủ "
        "của nhân dân, củng cố khối đại đoàn kết toàn dân tộc và xây dựng hệ thống chính trị vững mạnh.")


def article(**changes: object) -> Article:
    base = Article(
        url="https://dangcongsan.vn/xay-dung-dang/thanh-uy-soc-trang-577383.html",
        site="dangcongsan", title="Thành ủy Sóc Trăng thực hiện tốt Quy chế dân chủ cơ sở",
        published=datetime(2021, 3, 1, 11, 50, tzinfo=timezone.utc),
        summary="Thành ủy Sóc Trăng đã lãnh đạo thực hiện tốt Quy chế dân chủ ở cơ sở.",
        authors=["Thanh Hà"], category="Xây dựng Đảng", category_slug="xay-dung-dang",
        images=[Image(url="https://dangcongsan.vn/Uploaded/hoi-nghi.jpg", caption="Hội nghị")],
        body_html=f"<p>{BODY}</p>", body_text=BODY, article_id="577383")
    return replace(base, **changes)  # type: ignore[arg-type]


def _rows(storage: Storage, model: type) -> int:
    with storage.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def test_an_article_is_stored_once_and_read_back_with_utc_times(db_url: str) -> None:
    storage = Storage(db_url)
    assert storage.upsert(KEY, article()) == "new"
    assert storage.upsert(KEY, article()) == "unchanged"
    [stored] = storage.recent()
    assert stored.title == article().title and stored.images == article().images
    assert stored.published == datetime(2021, 3, 1, 11, 50, tzinfo=timezone.utc)
    assert storage.count("dangcongsan") == 1 and storage.known_keys([KEY, "x:1"]) == {KEY}
    storage.close()


def test_a_refetch_of_the_same_content_is_not_a_version_but_is_seen(db_url: str) -> None:
    storage = Storage(db_url)
    storage.upsert(KEY, article())
    first = storage.find(KEY)
    storage.upsert(KEY, article(layers={"title": "metadata"}))  # how it was read is not content
    again = storage.find(KEY)
    assert first is not None and again is not None
    assert again.version == 1 and again.changed_at == first.changed_at
    assert again.last_seen is not None and first.last_seen is not None
    assert again.last_seen > first.last_seen
    assert [v.version for v in storage.versions(again)] == [1]
    assert _rows(storage, ArticleVersion) == 0  # an article never edited costs nothing extra
    storage.close()


def test_an_edit_keeps_the_old_version_whole_and_the_new_one(db_url: str) -> None:
    storage = Storage(db_url)
    storage.upsert(KEY, article())
    edited = article(title="Thành ủy Sóc Trăng thực hiện tốt Quy chế dân chủ ở cơ sở",
                     body_text=BODY.replace("tiếp tục", "không ngừng"),
                     authors=["Thanh Hà", "Minh Anh"])
    assert storage.upsert(KEY, edited) == "updated"
    assert storage.upsert(KEY, edited) == "unchanged"
    row = storage.find(edited.url)  # by URL as well as by key
    assert row is not None and row.version == 2 and row.title == edited.title
    old, new = storage.versions(row)
    assert (old.version, new.version) == (1, 2)
    assert old.article.title == article().title and old.article.body_text == BODY
    assert old.article.authors == ["Thanh Hà"] and old.article.images == article().images
    assert new.article.body_text == edited.body_text and new.article.authors == edited.authors
    assert old.first_seen <= old.last_seen <= new.first_seen < new.last_seen
    assert storage.recent()[0].title == edited.title  # feeds show the latest
    storage.close()


def test_a_flapping_article_is_a_version_per_change_and_each_content_stored_once(db_url: str) -> None:
    storage = Storage(db_url)
    a, b = article(), article(title="Thành ủy Sóc Trăng: dân chủ cơ sở")
    outcomes = [storage.upsert(KEY, x) for x in (a, b, b, a, a, b, a)]
    assert outcomes == ["new", "updated", "unchanged", "updated", "unchanged", "updated", "updated"]
    versions = storage.versions(storage.find(KEY))
    assert [v.article.title for v in versions] == [a.title, b.title, a.title, b.title, a.title]
    assert [v.same_as for v in versions] == [None, None, 1, 2, 1]
    assert _rows(storage, ArticleContent) == 2  # A and B, however often they come back
    storage.close()


def test_a_truncated_body_is_recorded_as_suspicious_not_as_an_edit(db_url: str) -> None:
    storage = Storage(db_url)
    storage.upsert(KEY, article())
    cut = article(body_text=BODY[:60], body_html=f"<p>{BODY[:60]}</p>")
    assert storage.upsert(KEY, cut) == "suspicious"
    row = storage.find(KEY)
    assert row is not None and row.version == 1 and row.body_text == BODY
    [rejection] = storage.rejections()
    assert rejection.reason.startswith("suspicious-edit: the body shrank")
    storage.close()


def test_a_not_found_page_served_with_200_is_not_an_edit(db_url: str) -> None:
    storage = Storage(db_url)
    storage.upsert(KEY, article())
    assert storage.upsert(KEY, article(title="404 - Không tìm thấy trang")) == "suspicious"
    assert storage.upsert(KEY, article(title="Bài viết không tồn tại")) == "suspicious"
    assert storage.upsert(KEY, article(body_text="", body_html="", images=[])) == "suspicious"
    assert [v.article.title for v in storage.versions(storage.find(KEY))] == [article().title]
    # a real edit that happens to mention 404 is an edit
    assert storage.upsert(KEY, article(title="Sóc Trăng thực hiện Nghị định 404/2025")) == "updated"
    storage.close()


def test_writers_racing_on_one_article_record_each_change_once(db_url: str) -> None:
    """Four processes' worth of stores (own engines) storing the same pages at once."""
    first, edited = article(), article(title="Thành ủy Sóc Trăng: dân chủ cơ sở")
    stores = [Storage(db_url) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(lambda s: s.upsert(KEY, first), stores)) == ["new"] + ["unchanged"] * 3
        assert sorted(pool.map(lambda s: s.upsert(KEY, edited), stores)) == ["unchanged"] * 3 + ["updated"]
    assert [v.article.title for v in stores[0].versions(stores[0].find(KEY))] == [first.title, edited.title]
    for storage in stores:
        storage.close()


def test_an_in_memory_database_gets_the_schema_too() -> None:
    storage = Storage("sqlite://")
    assert storage.upsert(KEY, article()) == "new" and storage.count() == 1
    storage.close()
