"""Long sentences split at joints where a cut does not change what they say (semicolons, "however",
"whereas", ", and" between two clauses, "including", "such as" lists that end the sentence, "because", relative
clauses, enumerations, "Although A, B"), for the patient view. Brackets are never cut.
"""

from __future__ import annotations

import re
from itertools import pairwise

from curbside.corpus.text import bracket_depths


_NO_CAPITAL = re.compile(r"^(?:mg|ml|mL|kg|g|mcg|p|vs|eGFR|pH|e\.g|i\.e)\b")


def capitalise(sentence: str) -> str:
    match = re.match(r"^(\W*)([a-z])", sentence)
    if match is None or _NO_CAPITAL.match(sentence[match.start(2) :]):
        return sentence
    return sentence[: match.start(2)] + match.group(2).upper() + sentence[match.end(2) :]


# Joints where a long sentence can be cut without changing what it says.
_JOINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r";\s+however,\s+", re.IGNORECASE), ". \x04However, "),
    (re.compile(r",\s+however,\s+"), ". \x04However, "),
    (re.compile(r",\s+whereas\s+"), ". \x04By contrast, "),
    # "X, however the decrease was bigger" (no comma after "however"); not "however many", "however small".
    (
        re.compile(r",\s+however\s+(?!much|many|few|little|small|large|long|often|high|low|you|it\s+is\b)(?=[a-z])"),
        ". \x04However, ",
    ),
    # Not in enumerations: "(1) they are aged 40 to 75 years; (2) they have ...; and (3) ..."
    (re.compile(r";\s+(?!\(?\s*(?:\d{1,2}|[a-z]|[ivx]{1,4})\s*\)|and\s|or\s)(?=\S)"), ". \x04"),
)
_CLAUSE_JOINT = re.compile(r",\s+(and|but|so)\s+")
# A finite verb near the start of a clause tells an independent clause from a list item.
_FINITE = frozenset(
    {
        "is", "are", "was", "were", "has", "have", "had", "can", "could", "may", "might", "should", "will",
        "would", "must", "did", "does", "do", "apply", "applies", "remain", "remains", "need", "needs",
        "include", "includes", "show", "shows", "showed", "found", "find", "finds", "increase", "increases",
        "increased", "reduce", "reduces", "reduced", "lead", "leads", "led", "provide", "provides", "occur",
        "occurs", "appear", "appears", "appeared", "seem", "seems", "seemed", "became", "becomes", "concluded",
        "concludes", "suggest", "suggests", "recommend", "recommends", "got", "took", "tend", "tends", "helps", "works",
        "causes", "means", "began", "begins", "gave", "gives", "died",
        "vary", "varies", "differ", "differs", "differed", "believe", "believes", "think", "thinks", "serves",
    }
)
_NOT_SUBJECT = frozenset(
    {
        "of", "in", "for", "with", "to", "at", "by", "on", "from", "into", "during", "after", "before", "than",
        "as", "when", "while", "if", "because",
    }
)
_RELATIVE = frozenset({"that", "which", "who", "whose", "whom"})
_MIN_SIDE = 5


def _is_clause(words: list[str]) -> bool:
    """Does ``words`` read as a clause with its own subject and verb ("recommendations no longer apply")?"""
    if not words or words[0].lower() in _NOT_SUBJECT or words[0].lower().endswith("ing"):
        return False
    if words[0].lower() in _FINITE:
        return False  # "and may have reduced deaths": a verb with the subject of the clause before
    for i, word in enumerate(words[:7]):
        lowered = word.lower().strip("(),")
        if lowered in _RELATIVE:
            return False
        if i > 0 and lowered in _FINITE:
            return True
    return False


def _split_clauses(sentence: str) -> str:
    """ "X, and Y" -> "X. Y" where both X and Y are clauses of their own (never a list "A, B, and C")."""
    out: list[str] = []
    last = 0
    for match in _CLAUSE_JOINT.finditer(sentence):
        left = sentence[last : match.start()]
        segment = re.split(r"[,;:]\s+", left)[-1].split()
        right = re.split(r"[,;:.]\s+", sentence[match.end() :])[0].split()
        if len(left.split()) < _MIN_SIDE or len(right) < _MIN_SIDE - 2:
            continue
        if not (_is_clause(segment) and _is_clause(right)):
            continue
        if match.group(1) == "but" and "not only" in re.split(r"(?<=[.!?])\s+", left)[-1].lower():
            continue  # "Not only can X ..., but Y ...": one thought
        joint = {"and": ". \x04", "but": ". \x04But ", "so": ". \x04So "}[match.group(1)]
        out.append(left + joint)
        last = match.end()
    out.append(sentence[last:])
    return "".join(out)


# Joints that start a new sentence with words saying how it relates to the last one.
_LINKED_JOINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r",\s+including\s+"), ". \x04This includes "),
    (re.compile(r"(?<!\bnot)(?<!\bonly)(?<!\bpartly)(?<!\bpart)\s+because\s+(?!of\b)"), ". \x04This is because "),
    (re.compile(r",\s+although\s+"), ". \x04However, "),
    # A clause of contrast: "X, while older teens have Y" (never "while taking", "while in hospital").
    (re.compile(r",\s+while\s+"), ". \x04By contrast, "),
    # A participle saying what the whole clause means: "..., making it a possible alternative".
    (re.compile(r",\s+making\s+(?=(?:it|them|this)\s)"), ". \x04This makes "),
    (re.compile(r",\s+suggesting\s+"), ". \x04This suggests "),
    (re.compile(r",\s+indicating\s+"), ". \x04This shows "),
    # Examples closing the sentence: "risk factors for diabetes, such as obesity or family history".
    (re.compile(r",\s+such\s+as\s+"), ". \x04Examples include "),
)
# Joints after which a list must run to the end of the sentence ("the benefit of drugs, including X and Y, is large"
# goes on after its list: no cut).
_LIST_JOINTS = frozenset({". \x04This includes ", ". \x04Examples include "})
def _main_verb_follows(right: str) -> bool:
    """Does the sentence go on after an "including" list ("including A, B and C, also play a role")?

    Signs: a verb before any "who"/"which" clause of the list's own; a comma after the list's last
    item that does not open such a clause; ", and" with an -ing verb ("..., and providing ...").
    """
    tail = re.split(r",?\s+(?:and|or)\s+", right)[-1]
    for comma in re.finditer(r",\s+(\S+)", tail):
        if comma.group(1).lower() not in _RELATIVE | {"as", "such", "especially", "particularly"}:
            return True
    if re.search(r",\s+(?:and|or)\s+\w+ing\b", right):
        return True
    for word in right.split():
        lowered = word.lower().strip(",()")
        if lowered in _RELATIVE:
            return False
        if lowered in _FINITE:
            return True
    return False


def _in_listing(left: str, after: str) -> bool:
    """Is the joint inside a list whose items a semicolon separates ("A; B, including C; and D")?"""
    sentence = left + " " + re.split(r"(?<=[.!?])\s+(?=[A-Z(\x04])", after)[0]
    return re.search(r";\s+(?:and|or)\s", sentence) is not None


_NEEDS_CLAUSE = frozenset({". \x04By contrast, "})
_MIN_LEFT = 8


def _split_linked(text: str) -> str:
    """ "X, including Y" -> "X. This includes Y" (and "because", "although") when both sides are long."""
    for pattern, joint in _LINKED_JOINTS:
        out: list[str] = []
        last = 0
        for match in pattern.finditer(text):
            left = re.split(r"(?<=\.)\s+", text[last : match.start()])[-1]
            right = re.split(r"[.;]\s+", text[match.end() :])[0]
            if len(left.split()) < _MIN_LEFT or len(right.split()) < _MIN_SIDE - 1:
                continue
            if joint in _NEEDS_CLAUSE and not _is_clause(re.split(r"[,;:]\s+", right)[0].split()):
                continue
            if _in_listing(left, text[match.end() :]):
                continue
            if joint in _LIST_JOINTS and _main_verb_follows(right):
                continue  # "the benefit of drugs, including X and Y, is large": the sentence goes on
            if "includes" in joint and re.search(r"[a-z]s$", left.rstrip()):
                joint = ". \x04These include "  # "several risk factors, including ..."
            out.append(text[last : match.start()] + joint)
            last = match.end()
        out.append(text[last:])
        text = "".join(out)
    return text


# Relative clauses that run to the end of their sentence: "X, which may include Y" -> "X. This may
# include Y"; "children, who are covered elsewhere" -> "children. They are covered elsewhere".
_RELATIVE_JOINT = re.compile(r",\s+(which|who)\s+")
_SINGULAR_VERBS = frozenset(
    {
        "is", "was", "has", "does", "means", "includes", "causes", "makes", "helps", "remains", "contains",
        "requires", "involves", "refers", "occurs", "leads", "allows", "depends", "corresponds", "affects",
        "explains", "shows", "gives", "works",
    }
)
_PLURAL_VERBS = frozenset(
    {
        "are", "were", "have", "do", "include", "cause", "make", "help", "remain", "contain", "require", "involve",
        "refer", "occur", "lead", "allow", "depend", "correspond", "affect", "explain", "show", "give", "work",
    }
)
_EITHER_VERBS = frozenset({"may", "might", "can", "could", "will", "would", "should", "must", "had", "did"})
# "the TODAY study, which assigned ..." -> "This study assigned ...": the noun says what "this" is.
_NAMED_ANTECEDENTS = frozenset({"study", "trial", "review", "recommendation", "guideline", "program", "programme"})


def _relative_verb(words: list[str]) -> str | None:
    """ "singular", "plural" or "either" for the verb that starts a relative clause; None if none does."""
    if words and words[0].endswith("ly") and len(words) > 1:
        words = words[1:]  # "which randomly assigned"
    if not words:
        return None
    word = words[0].lower()
    if word in _SINGULAR_VERBS:
        return "singular"
    if word in _PLURAL_VERBS:
        return "plural"
    if word in _EITHER_VERBS or (word.endswith("ed") and len(word) > 4 and word.isalpha()):
        return "either"
    return None


def _plural_noun(word: str) -> bool:
    word = word.lower()
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "ous"))


def _split_relative(text: str) -> str:
    """ ", which"/", who" clauses that end their sentence become sentences of their own.

    Only where the clause starts with its verb ("which may ...", "who are ..."), runs to the end of the
    sentence (its commas, if any, only those of a list "A, B, and C"), and the word it refers to is
    clear: a "which" after a coordination ("..., and latent infection, which is ...") stays.
    """
    out: list[str] = []
    last = 0
    for match in _RELATIVE_JOINT.finditer(text):
        left = re.split(r"(?<=[.!?])\s+", text[last : match.start()])[-1]
        right = re.split(r"(?<=[.!?])\s+(?=[A-Z(\x04])", text[match.end() :])[0]
        if len(left.split()) < _MIN_LEFT or len(right.split()) < 3 or _in_listing(left, right):
            continue
        commas = [m.end() for m in re.finditer(r",\s+", right)]
        if commas:
            after = [right[c:].split(None, 1)[0].lower() for c in commas]
            if len(commas) < 2 or after[-1] not in ("and", "or") or after[0] in ("and", "or", "but"):
                continue  # the main sentence goes on after the clause
        number = _relative_verb(right.split())
        if number is None:
            continue
        head = re.sub(r"\s*[(\[][^()\[\]]*[)\]]\s*$", "", left).split()
        antecedent = head[-1].strip("\x03)") if head else ""
        segment = re.split(r"[,;:]\s+", left)[-1].split()
        plural = number == "plural" or (number == "either" and _plural_noun(antecedent))
        if match.group(1) == "who":
            if not plural:
                continue  # "the patient, who ..." would need "he", "she" or "this person"
            subject = "They"
        elif plural:
            subject = "These"
        elif number == "singular" or not _plural_noun(antecedent):
            if any(w.lower() in ("and", "or") for w in segment):
                continue  # "A and B, which is ...": which one?
            subject = "This"
            if antecedent.lower() in _NAMED_ANTECEDENTS:
                subject = f"This {antecedent.lower()}"
        else:
            continue
        out.append(text[last : match.start()] + f". \x04{subject} ")
        last = match.end()
    out.append(text[last:])
    return "".join(out)


# "when all of the following are met: (1) they are ...; (2) they have ...; and (3) ..." -> one
# sentence an item. The lead says whether all or any are needed, so the "and"/"or" can go.
_ENUMERATION = re.compile(r":\s+\(1\)\s+")
_ENUMERATION_ITEM = re.compile(r";\s+(?:and\s+|or\s+)?\((\d)\)\s+")


def _split_enumeration(text: str) -> str:
    start = _ENUMERATION.search(text)
    if start is None:
        return text
    lead = re.split(r"(?<=[.!?])\s+", text[: start.start()])[-1]
    if "the following" not in lead.lower():
        return text
    items = list(_ENUMERATION_ITEM.finditer(text, start.end()))
    if not items or [int(m.group(1)) for m in items] != list(range(2, len(items) + 2)):
        return text
    # Each item must read as a sentence ("they are aged 40 to 75 years"), not a noun phrase.
    bodies = [text[start.end() : items[0].start()]]
    bodies += [text[a.end() : b.start()] for a, b in pairwise(items)]
    bodies.append(re.split(r"(?<=[.!?])\s+", text[items[-1].end() :])[0])
    if not all(_is_clause(body.split()) for body in bodies):
        return text
    out = text[: start.start()] + ". (1) \x04"
    last = start.end()
    for item in items:
        out += text[last : item.start()] + f". ({item.group(1)}) \x04"
        last = item.end()
    return out + text[last:]


# "Although A, B." -> "A. But B." where A and B are clauses and A has no comma of its own.
_CONCESSION = re.compile(r"(?:(?<=^)|(?<=[.!?]\s)|(?<=\x04))(?:Although|Though|Even though)\s+([^,.;:]+),\s+")


def _split_concession(text: str) -> str:
    def split(match: re.Match[str]) -> str:
        concession = match.group(1)
        rest = re.split(r"[,;:.]\s+", text[match.end() :])[0].split()
        if len(concession.split()) < _MIN_SIDE or len(rest) < _MIN_SIDE - 1:
            return match.group(0)
        if not (_is_clause(concession.split()) and _is_clause(rest)):
            return match.group(0)
        return f"\x04{concession}. \x04But "

    return _CONCESSION.sub(split, text)


def split_long(text: str) -> str:
    """Split at top-level semicolons, "however"/"whereas" and clause joints; brackets are never cut."""
    hidden: list[str] = []
    chars: list[str] = []
    for ch, depth in zip(text, bracket_depths(text), strict=True):
        if depth and ch in ";,":
            hidden.append(ch)  # inside brackets: not a joint
            chars.append("\x03")
        else:
            chars.append(ch)
    result = _split_enumeration("".join(chars))
    # "A (n = 74); B (n = 76); or C": semicolons that separate list items are not joints.
    listing = re.search(r";\s+(?:and|or)\s", result) is not None
    for pattern, joint in _JOINTS:
        if not (listing and pattern.pattern.startswith(";")):
            result = pattern.sub(joint, result)
    result = _split_relative(_split_linked(_split_clauses(_split_concession(result))))
    # Only the starts this function made are capitalised ("e.g. cirrhosis" stays as written).
    result = re.sub(r"\x04(\S+)", lambda m: capitalise(m.group(1)), result)
    restored = iter(hidden)
    return re.sub("\x03", lambda m: next(restored), result)
