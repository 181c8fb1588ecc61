from __future__ import annotations

from datetime import UTC, datetime

from schemas import Author, Customer, customer_key
from streams.enrich import Enricher
from streams.enrich.customers import TIER_POINTS, lookup_tier, with_customer_tier
from tests.factories import make_mention


def test_customer_key_ignores_case_and_at_sign() -> None:
    assert customer_key("twitter", "@Ana_Lopez") == "twitter:ana_lopez"
    customer = Customer(channel="twitter", handle="@Ana_Lopez", tier="vip", updated_at=datetime.now(UTC))
    assert customer.key == "twitter:ana_lopez"


def test_tier_found_by_handle_then_by_linked_handles() -> None:
    tiers = {"twitter:ana_lopez": "vip", "instagram:ana.l": "enterprise"}
    assert lookup_tier(make_mention(handle="Ana_Lopez"), tiers) == "vip"
    linked = make_mention(
        author=Author(handle="someone_else", linked_handles=("myspace:ana", "instagram:Ana.L")), channel="facebook"
    )
    assert lookup_tier(linked, tiers) == "enterprise", "an unknown channel in a linked handle is skipped"
    assert lookup_tier(make_mention(handle="stranger"), tiers) is None


def test_tier_adds_explained_priority_and_reasons_still_add_up() -> None:
    enrichment = Enricher().enrich(make_mention("@AcmeAir where is my parcel?"))
    vip = with_customer_tier(enrichment, "vip")
    assert vip.customer_tier == "vip"
    assert vip.priority == enrichment.priority + TIER_POINTS["vip"]
    assert vip.priority_reasons[-1].factor == "customer_tier"
    assert sum(r.points for r in vip.priority_reasons) == vip.priority


def test_tier_points_are_clamped_with_a_reason() -> None:
    urgent = Enricher().enrich(make_mention("I will sue you, my lawyer says the fire in your store hurt my kid"))
    topped = with_customer_tier(with_customer_tier(urgent, "vip"), "vip")
    assert topped.priority <= 100
    assert sum(r.points for r in topped.priority_reasons) == topped.priority
    assert [r.factor for r in topped.priority_reasons].count("clamp") <= 1
