from __future__ import annotations

from datetime import UTC, datetime

from schemas import Channel, DuplicateKind, Mention
from streams.dedupe import DedupeIndex, identity_key
from streams.dedupe.identity import bare_handle
from streams.dedupe.text import jaccard, normalise, sketch, tokens, wave_text
from tests.factories import make_mention
from tests.unit.dedupe.helpers import mention

LONG = "@AcmeAir my flight AA100 was cancelled twice this week and nobody answers the phone"


def test_normalise_drops_urls_mentions_emoji_and_punctuation() -> None:
    text = "@AcmeAir  Worst   service EVER!!! 😡 https://t.co/abc #fail"
    assert normalise(text) == "worst service ever fail"
    assert wave_text("Refund order 12345 NOW @AcmeAir") == "refund order now"
    # The ASCII fast path and the Unicode path agree.
    assert normalise("Crème brûlée_fan!! @x 12") == "crème brûlée fan 12"
    assert normalise("Creme brulee_fan!! @x 12") == "creme brulee fan 12"


def test_identity_is_the_smallest_bare_handle_on_every_channel() -> None:
    on_x = mention("hi", "1", handle="Casey_T", linked=("facebook:casey.t", "instagram:@casey_t"))
    on_fb = mention("hi", "2", handle="casey.t", channel=Channel.FACEBOOK, linked=("twitter:casey_t",))
    assert identity_key(on_x) == identity_key(on_fb) == "casey.t"
    assert bare_handle("twitter:@Casey") == "casey"
    assert bare_handle("not-a-channel:x") == "not-a-channel:x"


def test_exact_repeat_is_merged_into_itself() -> None:
    index = DedupeIndex()
    first = mention(LONG, "42")
    assert index.observe(first) is None
    verdict = index.observe(mention(LONG, "42", minutes=5))
    assert verdict is not None
    assert verdict.kind is DuplicateKind.EXACT
    assert verdict.canonical_id == first.id
    # Exact keys keep their time to 1/64 of the window (a small int per key instead of a float).
    first_seen = float(verdict.evidence["first_seen"])  # type: ignore[arg-type]
    assert 0 <= first.created_at.timestamp() - first_seen < 86_400 / 64


def test_cross_post_on_a_linked_channel_points_at_the_first_post() -> None:
    index = DedupeIndex()
    first = mention(LONG, "1", handle="casey_t", linked=("facebook:casey.t",))
    again = mention(
        LONG.replace("@AcmeAir", "AcmeAir:"), "fb9", minutes=3, handle="casey.t", channel=Channel.FACEBOOK,
        linked=("twitter:casey_t",),
    )  # fmt: skip
    assert index.observe(first) is None
    # "AcmeAir:" is a word here, "@AcmeAir" a mention there: not identical, but a near duplicate.
    verdict = index.observe(again)
    assert verdict is not None
    assert verdict.kind is DuplicateKind.NEAR_DUPLICATE
    assert verdict.canonical_id == first.id
    same = mention(LONG, "fb10", minutes=4, handle="casey.t", channel=Channel.FACEBOOK, linked=("twitter:casey_t",))
    verdict = index.observe(same)
    assert verdict is not None
    assert (verdict.kind, verdict.canonical_id) == (DuplicateKind.CROSS_POST, first.id)
    assert verdict.evidence["identity"] == "casey.t"


def test_same_long_text_from_different_people_is_never_merged() -> None:
    index = DedupeIndex()
    assert all(index.observe(mention(LONG, str(i), handle=f"person{i}")) is None for i in range(10))


def test_thanks_from_different_people_is_not_a_duplicate() -> None:
    index = DedupeIndex()
    assert index.observe(mention("thanks!", "1", handle="ann")) is None
    assert index.observe(mention("Thanks!!", "2", handle="bob", minutes=1)) is None


def test_short_text_from_the_same_person_merges_only_within_minutes() -> None:
    index = DedupeIndex()
    assert index.observe(mention("thanks!", "1")) is None
    soon = index.observe(mention("Thanks 🙏", "2", minutes=5, channel=Channel.INSTAGRAM))
    assert soon is not None
    assert soon.kind is DuplicateKind.CROSS_POST
    assert index.observe(mention("thanks!", "3", minutes=600)) is None, "hours later it is a new thank-you"


def test_light_edit_by_the_same_author_is_a_near_duplicate() -> None:
    index = DedupeIndex()
    first = mention(LONG + " https://t.co/a", "1")
    assert index.observe(first) is None
    edited = mention(LONG.replace("answers", "anwsers") + " https://t.co/b 😡", "2", minutes=2)
    verdict = index.observe(edited)
    assert verdict is not None
    assert verdict.kind is DuplicateKind.NEAR_DUPLICATE
    assert verdict.canonical_id == first.id
    assert 0.7 <= float(verdict.evidence["similarity"]) < 1.0  # type: ignore[arg-type]


def test_a_changed_number_is_news_not_a_copy() -> None:
    index = DedupeIndex()
    assert index.observe(mention("@AcmeAir still on hold for 75 minutes with your agents", "1")) is None
    assert index.observe(mention("@AcmeAir still on hold for 90 minutes with your agents", "2", minutes=15)) is None


def test_different_brands_are_different_conversations() -> None:
    index = DedupeIndex()
    assert index.observe(mention(LONG, "1", brand_account="AcmeAir")) is None
    assert index.observe(mention(LONG, "2", brand_account="OtherAir", minutes=1)) is None


def test_reply_in_the_thread_is_not_a_duplicate_of_its_parent() -> None:
    index = DedupeIndex()
    parent = mention(LONG, "100")
    assert index.observe(parent) is None
    reply = mention(LONG + " again", "101", minutes=30, in_reply_to_id="100")
    assert index.observe(reply) is None


def test_reshares_are_echoes_with_count_and_reach_but_quotes_are_new() -> None:
    index = DedupeIndex()
    original = mention(LONG, "500", handle="casey")
    assert index.observe(original) is None
    first = index.observe(mention(f"RT @casey: {LONG}", "501", handle="ann", followers=1000, reshare_of_id="500"))
    second = index.observe(mention("", "502", handle="bob", followers=50, reshare_of_id="500", minutes=1))
    assert first is not None
    assert second is not None
    assert (second.kind, second.canonical_id) == (DuplicateKind.RESHARE, original.id)
    assert (first.evidence["echo_count"], second.evidence["echo_count"]) == (1, 2)
    assert second.evidence["combined_reach"] == 1050
    quote = mention(
        f"This is exactly what happened to me too RT @casey: {LONG}", "503", handle="cy", reshare_of_id="500"
    )
    assert index.observe(quote) is None, "a quote with its own words is a new mention"


def test_expired_keys_are_forgotten() -> None:
    index = DedupeIndex(window_seconds=3600)
    assert index.observe(mention(LONG, "1")) is None
    assert index.observe(mention("an unrelated later post about the lounge", "2", handle="zed", minutes=120)) is None
    assert index.observe(mention(LONG, "1", minutes=121)) is None, "the exact key expired"
    assert index.observe(mention(LONG, "3", minutes=122)) is not None, "the re-sighting starts a new window"


def test_late_mentions_keep_their_exact_keys_until_swept() -> None:
    index = DedupeIndex(window_seconds=3600)
    index.observe(mention("the newest post in the stream so far", "new", handle="zed", minutes=50))
    assert index.observe(mention(LONG, "late", minutes=0)) is None  # 50 minutes late, inside the window
    assert index.observe(mention(LONG, "late", minutes=0)) is not None
    for step in range(1, 40):  # the watermark moves on, one event a minute
        index.observe(
            mention(f"filler post number {step} about seats", f"f{step}", handle=f"h{step}", minutes=50 + step)
        )
    assert index.observe(mention(LONG, "late", minutes=30)) is None, "an hour past its time it is forgotten"


def test_state_stays_bounded_on_an_endless_stream() -> None:
    index = DedupeIndex(window_seconds=10**9, max_keys=500)
    for i in range(5000):
        index.observe(mention(f"post number {i} about baggage", str(i), handle=f"u{i}", minutes=i))
    assert len(index) <= 500
    assert index.observe(mention("post number 0 about baggage", "0", handle="u0", minutes=5000)) is None


def _stream() -> list[Mention]:
    out = []
    for i in range(300):
        who = f"user{i % 23}"
        text = f"{LONG} {'again' if i % 3 else ''}" if i % 5 else f"thanks {i % 2}"
        out.append(mention(text, str(i % 250), handle=who, minutes=i * 7, reshare_of_id="9" if i % 17 == 0 else None))
    return out


def test_a_restored_index_gives_the_same_verdicts() -> None:
    stream = _stream()
    live = DedupeIndex(window_seconds=6 * 3600, max_keys=60)
    changelog: list[tuple[bytes, bytes | None]] = []
    for m in stream[:200]:
        live.observe(m)
        if int(m.native_id) % 7 == 0:
            changelog.extend(live.drain_changes())
    changelog.extend(live.drain_changes())
    restored = DedupeIndex(window_seconds=6 * 3600, max_keys=60)
    for key, value in changelog:
        restored.restore(key, value)
    assert len(restored) == len(live)
    verdicts = [(live.observe(m), restored.observe(m)) for m in stream[200:]]
    assert any(a is not None for a, _ in verdicts), "the tail holds duplicates to compare"
    assert [a for a, _ in verdicts] == [b for _, b in verdicts]
    assert any(value is None for _, value in changelog), "expiry and eviction leave tombstones"


def test_sketch_similarity_orders_edits() -> None:
    a = sketch(tokens(LONG))
    assert jaccard(a, a) == 1.0
    edited = sketch(tokens(LONG.replace("phone", "fone")))
    assert jaccard(a, edited) > jaccard(a, sketch(tokens("totally different words")))


def test_posts_without_words_are_not_merged_by_text() -> None:
    """Two link-only posts by one person (twcs tweets 3052 and 3049) share no words to call the same."""
    index = DedupeIndex()
    start = datetime(2017, 10, 31, 3, 40, tzinfo=UTC)
    first = make_mention("@116407 @116136  https://t.co/1T9NYDfbuw", handle="116406", created_at=start)
    second = make_mention("@116407 @116136  https://t.co/JgNnQsVKX6", handle="116406", created_at=start)
    assert index.observe(first) is None
    assert index.observe(second) is None
    assert index.observe(first) is not None, "the same post again is still an exact duplicate"
