"""Curbside: an evidence engine for clinical questions."""
