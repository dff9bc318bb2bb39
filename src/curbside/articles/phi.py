"""The PHI scrubber moved to :mod:`curbside.understanding.phi`, below the writers that must scrub text before
it leaves the machine (an LLM endpoint); this name stays for code that imported it from here."""

from curbside.understanding.phi import PhiFinding, ScrubResult, scrub_phi

__all__ = ["PhiFinding", "ScrubResult", "scrub_phi"]
