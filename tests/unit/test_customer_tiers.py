"""CustomerTiers: the bounded customers table every enriching worker holds."""

from __future__ import annotations

import tracemalloc

from streams.enrich.customers import CustomerTiers


def test_a_full_table_refuses_new_customers_but_changes_and_removes_held_ones() -> None:
    table = CustomerTiers(max_keys=3)
    for n in range(3):
        assert table.put(f"twitter:c{n}", "standard")
    assert not table.put("twitter:c3", "vip")
    assert table.get("twitter:c3") is None
    assert table.put("twitter:c1", "vip"), "a held customer can change tier"
    assert table.get("twitter:c1") == "vip"
    table.remove("twitter:c0")
    table.remove("twitter:never-held")
    assert len(table) == 2
    assert table.put("twitter:c3", "vip"), "room again after a removal"
    assert [table.get(f"twitter:c{n}") for n in range(4)] == [None, "vip", "standard", "vip"]


def test_a_customer_costs_the_same_whatever_its_handle_and_tier_names_are_shared() -> None:
    def held_bytes(handle_length: int) -> int:
        keys = [f"twitter:{n}_" + "x" * handle_length for n in range(2000)]
        tiers = ["".join(("v", "ip")) for _ in keys]  # a fresh str per record, as decoding makes them
        tracemalloc.start()
        table = CustomerTiers(max_keys=10_000)
        for key, tier in zip(keys, tiers, strict=True):
            table.put(key, tier)
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert len(table) == 2000
        return size

    short, long = held_bytes(5), held_bytes(500)
    assert long < short * 1.2
    assert long / 2000 < 120, "about 70 bytes a customer"


def test_tier_names_are_shared_up_to_a_bound() -> None:
    table = CustomerTiers(max_keys=10_000)
    for n in range(CustomerTiers.MAX_TIER_NAMES + 50):
        assert table.put(f"twitter:c{n}", f"tier{n}")
    assert len(table._names) == CustomerTiers.MAX_TIER_NAMES
    assert table.get(f"twitter:c{CustomerTiers.MAX_TIER_NAMES + 10}") == f"tier{CustomerTiers.MAX_TIER_NAMES + 10}"
