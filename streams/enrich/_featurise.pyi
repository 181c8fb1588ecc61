from collections.abc import Sequence

class FeatureTable:
    """A linear model's packed feature weights, tokenised and looked up in C (see _featurise.c)."""

    def __init__(
        self,
        unigrams: dict[str, int],
        bigrams: dict[tuple[str, ...], int],
        split_chars: str,
        split_ranges: Sequence[tuple[int, int]],
        separators: str,
        token_limit: int,
        *,
        char_ngrams: tuple[int, int, int] = ...,
    ) -> None: ...
    def score(self, text: str, /) -> tuple[int, int]: ...
    def lookup(self, first: str, second: str = ..., /) -> int: ...
    def feature_count(self) -> int: ...
    def nbytes(self) -> int: ...

class CueMatcher:
    """A cue set's token trie, tokenised and walked in C (see _featurise.c and streams.enrich.cues)."""

    def __init__(self, nodes: list[tuple[bool, int, dict[str, int], int]], kinds: tuple[str, ...]) -> None: ...
    def find(self, text: str, /) -> dict[str, int]: ...
