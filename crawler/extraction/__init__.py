"""Extraction layers shared by every site: text, dates, bylines, HTML, metadata, generic."""
