"""The clinical language as data: each fact (a drug alias, a route, a unit, a schedule word) is defined
once, in a data file under ``vocabulary/data/``, and read by one loader."""
