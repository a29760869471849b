"""Feed building: stored articles to RSS 2.0 / Atom files written atomically."""
