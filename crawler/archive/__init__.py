"""What the archive knows beyond the articles themselves: how each page answered when it
was last fetched (refreshes, takedowns), which story each article belongs to, and the
search indexes.  Tables in :mod:`crawler.storage.tracking` (created by migration ``0003_search_stories``);
each concern a small class over the store's engine."""
