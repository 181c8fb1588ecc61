"""Romanised Hindi ("Hinglish"): Hindi written in Latin letters, which fastText calls English.

Recognised by Hindi function words that are rare in English and in the other Latin-script
languages we see (Spanish, Portuguese, Italian, French, German): short words shared with them
('ho', 'se', 'me', 'main', 'to', 'the', 'pe', 'tab', 'log', 'jab', Italian 'mai', German 'ab', 'kam', 'wo',
French 'bas', Romance 'tu') are deliberately left out.
Measured on the shared data: see docs/evaluation.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

HINGLISH_CONFIDENCE = 0.8
MIN_HITS = 2
MIN_DISTINCT = 2
MIN_SHARE = 0.15

_HINDI_FUNCTION_WORDS_TEXT = """
    hai hain hei nahi nahin nhi kya kyu kyun kyon aur bhi mein mujhe mujhko mera meri mere tera teri tere
    apna apni apne hum humko tum tumko aap aapka aapki yaar kuch bahut bohot bahot acha accha achha theek thik
    raha rahi rahe gaya gayi gaye karna karo karte karta karti kiya kiye wala wale wali abhi kaise kaisa kaisi
    kab toh yeh woh tha thi hota hoti hoga hogi sab sabse koi kaun kahan agar lekin sirf ek ka ki ke ko ji bhai
    liye saath baat kar hoon hun diya dena lena wahi yahi aisa aise waise phir fir kyunki matlab
    ye apki apka apke apse aapse usko uska uski unka unki iska iski inka tujhe tujhko mujhse tumse yahan wahan
    chal hua hui kr krna kro rha rhi rhe gya gyi gye hgya sahi pehle baad zyada jyada bilkul hamesha kabhi sath
    khud naam aaj kal
"""
HINDI_FUNCTION_WORDS = frozenset(_HINDI_FUNCTION_WORDS_TEXT.split())
# The same words as bytes, for language.detect's byte-level tokeniser.
HINDI_FUNCTION_WORDS_BYTES = frozenset(word.encode() for word in HINDI_FUNCTION_WORDS)
# The same words as the English short-cut reads (apostrophes kept), so language.detect tokenises once.
WORD_RE = re.compile(r"[a-z']+")
NON_ASCII_LETTER_RE = re.compile(r"[^\W\d_a-z]")


def romanised_hindi_words(
    words: Sequence[str | bytes], vocabulary: frozenset[str] | frozenset[bytes] = HINDI_FUNCTION_WORDS
) -> bool:
    """The Hinglish test on the lower-case ASCII words of a text (``WORD_RE.findall``, or the same as bytes
    with ``vocabulary=HINDI_FUNCTION_WORDS_BYTES``)."""
    # Distinct hits first (a set intersection runs in C and fails fast on most texts), then the count.
    if len(words) < MIN_HITS or len(vocabulary.intersection(words)) < MIN_DISTINCT:
        return False
    hits = sum(map(vocabulary.__contains__, words))
    return hits >= MIN_HITS and hits >= MIN_SHARE * len(words)


def looks_romanised_hindi(clean: str) -> bool:
    """``clean``: text already stripped of URLs, handles and hashtag signs (language.prepare)."""
    lowered = clean.lower()
    if not lowered.isascii() and NON_ASCII_LETTER_RE.search(lowered):
        return False  # native-script or accented text is the model's job
    return romanised_hindi_words(WORD_RE.findall(lowered))
