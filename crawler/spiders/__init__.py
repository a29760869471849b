"""Spiders: one thin subclass of :class:`~crawler.spiders.base.SiteSpider` per site."""
