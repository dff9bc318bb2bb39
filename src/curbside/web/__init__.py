"""Interfaces over the core: the web app (pages and JSON API). Nothing in the core imports from here."""
