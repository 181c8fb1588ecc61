"""Romanised Hindi ("Hinglish"): Hindi written in Latin letters, which fastText calls English.

Recognised by Hindi function words that are rare in English and in the other Latin-script
languages we see (Spanish, Portuguese, Italian, French, German): short words shared with them
('ho', 'se', 'me', 'main', 'to', 'the', 'pe', 'tab', 'log', 'jab', Italian 'mai', German 'ab', 'kam', 'wo',
French 'bas', Romance 'tu') are deliberately left out.
Measured on the shared data: see docs/evaluation.md.
"""

from __future__ import annotations

import re

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
_WORD_RE = re.compile(r"[a-z]+")
_NON_ASCII_LETTER_RE = re.compile(r"[^\W\d_a-z]")


def looks_romanised_hindi(clean: str) -> bool:
    """``clean``: text already stripped of URLs, handles and hashtag signs (language.prepare)."""
    lowered = clean.lower()
    if _NON_ASCII_LETTER_RE.search(lowered):
        return False  # native-script or accented text is the model's job
    words = _WORD_RE.findall(lowered)
    if len(words) < MIN_HITS:
        return False
    hits = [w for w in words if w in HINDI_FUNCTION_WORDS]
    return len(hits) >= MIN_HITS and len(set(hits)) >= MIN_DISTINCT and len(hits) >= MIN_SHARE * len(words)
