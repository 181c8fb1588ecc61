r"""Keyword/phrase cue matching on a text's words, through a trie of word sequences.

A text's cue tokens (``cue_tokens``) are the runs of word characters of its normalised form (lower-cased,
ASCII apostrophes) and each other character but whitespace on its own: "Can't login‼" is
``can ' t login ‼``, so words end where a regex ``\b`` would end them, and a phrase's words must stand
separated by whitespace only ("no one" is not found in "Oh no! One moment"). A cue's words are tokenised the
same way, so the cue "can't login" needs the apostrophe and "double-charged" the hyphen. On the 69,352
texts of ../shared/data this finds exactly what the character-trie regex it replaced found. Two differences
exist on crafted text: spaces inside a cue's punctuation are not seen ("can ' t login" matches "can't login",
"double - charged" matches "double-charged"), and a number does not swallow a full stop or comma after it
("send 5. btc" is not "send <num> btc", where the regex's ``\d[\d,.]*`` took "5.").

Matching walks the trie from each token, keeping the longest cue that starts there. Intent and urgency read
the same text one after the other (or step by step over a batch), so its normalised form (``normalised``) and,
for the Python matcher, its tokens (``analyse``) are kept; ``forget`` drops them. Measured on 5,000 airline
tweets: ~3 µs to tokenise and ~2 µs per text and cue set, against ~8-12 µs per set for a regex compiled as a
character trie over the lower-cased text (and ~55 µs for a plain alternation of the same ~430 phrases).
Where the optional C extension was built (setup.py), ``CueSet.find`` hands the normalised text to its
``CueMatcher``, which tokenises and walks the same trie in C with no Python object per token (~0.5 µs a set);
``find_tokens`` is the same matching in Python, and tests/unit/test_featurise.py holds the two together.

Cue syntax (deliberately tiny, so cues stay readable in the modules that own them):

* words separated by single spaces, matched as whole words, case-insensitively;
* a word written ``a|b|c`` matches any of the alternatives: ``cancel|cancelled my account|plan``. The
  alternatives are single words: ``can't log in|login`` means "can't log in" or "can't log login", so
  write ``can't login`` and ``can't log|sign in`` instead;
* the word ``<num>`` matches a number (``5``, ``1,000``, ``0.5``, ``10k``).

A cue kind of ``None`` marks an exclusion: the phrase is consumed (so the shorter cue inside it does not
fire) but not reported, e.g. ``emergency exit`` under a ``safety`` cue ``emergency``. Matches do not overlap:
from the first token on, each match is the longest cue starting there, and the next search starts after it.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import compress
from typing import cast

try:  # the optional C matcher (setup.py); CueSet.find_tokens below finds the same cues
    from streams.enrich._featurise import CueMatcher
except ImportError:  # pragma: no cover - built without a C compiler
    CueMatcher = None  # type: ignore[assignment,misc]

logger = logging.getLogger(__name__)

NUMBER = "<num>"
_NUMBER_TOKEN_RE = re.compile(r"\d+k?")  # a number's tokens: 1,000 and 0.5 are "1" "," "000" and "0" "." "5"
_NUMBER_JOINERS = frozenset(",.")
_CUE_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
# The same on ASCII text, where classes are bitmaps instead of Unicode category look-ups (~6.5 -> ~4.7 µs a
# tweet). Equal on normalised text: its whitespace is single spaces, so \x1c-\x1f (Unicode \s only) never occur.
_CUE_TOKEN_ASCII_RE = re.compile(r"\w+|[^\w\s]", re.ASCII)
# Curly apostrophes are common in tweets; cues are written with the ASCII one.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# analyse() keeps the last texts' results, up to this many characters of text (a batch of tweets).
MEMO_CHARS = 400_000


def expand(cue: str) -> list[tuple[str, ...]]:
    """Every word sequence a cue stands for (the cartesian product of its ``a|b`` alternatives)."""
    return [tuple(words) for words in itertools.product(*(word.split("|") for word in cue.split(" ")))]


def normalise(text: str) -> str:
    """Lower-cased, single-spaced text with ASCII apostrophes (what intent's question test reads)."""
    lowered = text.lower()
    # Only " " among the whitespace characters is printable: without a double, leading or trailing space or a
    # non-printable character the text is already single-spaced (most tweets), and split/join costs ~1 µs.
    if "  " in lowered or not lowered.isprintable() or lowered[:1] == " " or lowered[-1:] == " ":
        lowered = " ".join(lowered.split())
    if "\u2019" in lowered or "\u2018" in lowered or "\u02bc" in lowered:
        lowered = lowered.translate(_APOSTROPHES)
    return lowered


def split_words(lowered: str) -> list[str]:
    """The cue tokens of already normalised text (``normalise``), computed afresh."""
    return (_CUE_TOKEN_ASCII_RE if lowered.isascii() else _CUE_TOKEN_RE).findall(lowered)


def normalised(text: str) -> str:
    """``normalise(text)``, kept for the last texts (see ``forget``): intent, urgency and intent's question
    test read it one after the other."""
    found = _memo.get(text)
    if found is None:
        found = _remember(text, normalise(text), None)
    return found[0]


def analyse(text: str) -> tuple[str, list[str]]:
    """``(normalise(text), cue_tokens(text))``, kept for the last texts (see ``forget``). Shared: do not change."""
    found = _memo.get(text)
    if found is None or found[1] is None:
        lowered = normalise(text) if found is None else found[0]
        found = _remember(text, lowered, split_words(lowered))
    return cast(tuple[str, list[str]], found)


def _remember(text: str, lowered: str, toks: list[str] | None) -> tuple[str, list[str] | None]:
    global _memo_chars  # noqa: PLW0603 - the memo's size, kept beside it
    found = (lowered, toks)
    if len(text) <= MEMO_CHARS:  # a text over the budget is not kept: the memo stays within it
        if text not in _memo:
            if _memo_chars + len(text) > MEMO_CHARS:
                forget()  # a batch of more than MEMO_CHARS characters tokenises part of it again
            _memo_chars += len(text)
        _memo[text] = found
    return found


def cue_tokens(text: str) -> list[str]:
    """The tokens ``CueSet.find_tokens`` reads (see the module doc)."""
    return analyse(text)[1]


def forget() -> None:
    """Drop what ``analyse`` and ``normalised`` kept (``Enricher.enrich_many`` does after each batch)."""
    global _memo_chars  # noqa: PLW0603
    _memo.clear()
    _memo_chars = 0


# text -> (normalised text, its cue tokens, or None until the pure-Python matcher needs them)
_memo: dict[str, tuple[str, list[str] | None]] = {}
_memo_chars = 0


class _Node:
    __slots__ = ("children", "end", "kind")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.end = False  # a cue ends here
        self.kind: str | None = None  # its kind (None: an exclusion)


class CueSet:
    """Compiles ``{kind: cues}`` into a token trie; ``find`` counts the kinds present in a text."""

    def __init__(self, cues: Mapping[str, Iterable[str]], exclusions: Iterable[str] = ()) -> None:
        seen: dict[tuple[str, ...], str | None] = {}
        tagged = [(kind, cue) for kind, kind_cues in cues.items() for cue in kind_cues]
        self._root = _Node()
        for kind, cue in [*tagged, *((None, cue) for cue in exclusions)]:
            for words in expand(cue):
                if words[0] != NUMBER and not words[0][:1].isalnum():
                    raise ValueError(f"cue {cue!r} must start with a letter or digit")
                units = tuple(
                    unit for word in words for unit in ((word,) if word == NUMBER else split_words(normalise(word)))
                )
                if units in seen:
                    if seen[units] != kind:
                        raise ValueError(f"cue {' '.join(words)!r} is listed under both {seen[units]!r} and {kind!r}")
                    continue
                seen[units] = kind
                node = self._root
                for unit in units:
                    node = node.children.setdefault(unit, _Node())
                node.end, node.kind = True, kind
        self._number_starts = NUMBER in self._root.children
        _check_numbers(self._root)
        self._compiled = _compile(self._root)

    @property
    def compiled(self) -> bool:
        """Whether ``find`` runs the C matcher (else ``find_tokens``, the same matching in Python)."""
        return self._compiled is not None

    def find(self, text: str) -> dict[str, int]:
        """How many times each kind's cues occur in ``text``; exclusions not counted."""
        if self._compiled is not None:
            return self._compiled.find(normalised(text))
        return self.find_tokens(cue_tokens(text))

    def find_tokens(self, toks: Sequence[str]) -> dict[str, int]:
        """``find`` on the tokens of a text (``cue_tokens``)."""
        starts = self._root.children
        if self._number_starts:
            candidates: Iterable[int] = range(len(toks))
        else:  # the positions of tokens that start a cue, found in C: most tokens start none
            candidates = compress(range(len(toks)), map(starts.__contains__, toks))
        counts: dict[str, int] = {}
        count = len(toks)
        free = 0  # matches do not overlap: the next one starts here or later
        for index in candidates:
            if index < free:
                continue
            node = starts.get(toks[index])
            position = index + 1
            if node is None:
                node = _number_child(self._root, toks, index)
                if node is None:
                    continue
                position = _number_end(toks, index)
            end = -1
            kind: str | None = None
            while True:
                if node.end:
                    end, kind = position, node.kind
                if position == count or not node.children:
                    break
                child = node.children.get(toks[position])
                if child is not None:
                    position += 1
                else:  # a literal word, else a number (_check_numbers: never both)
                    child = _number_child(node, toks, position)
                    if child is None:
                        break
                    position = _number_end(toks, position)
                node = child
            if end >= 0:
                free = end
                if kind is not None:
                    counts[kind] = counts.get(kind, 0) + 1
        return counts


def _compile(root: _Node) -> CueMatcher | None:
    """The C matcher of the trie under ``root`` (nodes numbered breadth-first, the root 0); None without the
    C extension."""
    if CueMatcher is None:
        return None
    nodes = [root]
    numbers = {id(root): 0}
    for node in nodes:  # grows while it is walked: breadth-first
        for child in node.children.values():
            numbers[id(child)] = len(nodes)
            nodes.append(child)
    kinds = tuple(dict.fromkeys(node.kind for node in nodes if node.end and node.kind is not None))
    kind_numbers = {kind: number for number, kind in enumerate(kinds)}
    description = [
        (
            node.end,
            kind_numbers[node.kind] if node.end and node.kind is not None else -1,
            {token: numbers[id(child)] for token, child in node.children.items() if token != NUMBER},
            numbers[id(node.children[NUMBER])] if NUMBER in node.children else -1,
        )
        for node in nodes
    ]
    return CueMatcher(description, kinds)


def _check_numbers(node: _Node) -> None:
    """ValueError where a cue's <num> and another cue's literal number follow the same words: the matcher takes
    the literal branch when the text has that number and does not come back for <num>."""
    if NUMBER in node.children and any(_NUMBER_TOKEN_RE.fullmatch(unit) for unit in node.children):
        raise ValueError("a <num> cue and a cue with a literal number follow the same words")
    for child in node.children.values():
        _check_numbers(child)


def _number_child(node: _Node, toks: Sequence[str], position: int) -> _Node | None:
    """``node``'s <num> branch when the tokens at ``position`` start a number, else None."""
    child = node.children.get(NUMBER)
    if child is None or not toks[position][:1].isdigit() or _NUMBER_TOKEN_RE.fullmatch(toks[position]) is None:
        return None
    return child


def _number_end(toks: Sequence[str], position: int) -> int:
    """The position after the number starting at ``position``: ``10k``, or ``1`` ``,`` ``000`` (``\\d[\\d,.]*k?``)."""
    token = toks[position]
    position += 1
    while (
        not token.endswith("k")
        and position + 1 < len(toks)
        and toks[position] in _NUMBER_JOINERS
        and _NUMBER_TOKEN_RE.fullmatch(toks[position + 1]) is not None
    ):
        token = toks[position + 1]
        position += 2
    return position
