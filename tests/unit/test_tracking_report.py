"""Response-time report: plain values, and the twcs sample's independent figures through PartitionTracker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from schemas import Assignment, Channel, FirstResponse, Mention, Response
from streams.sources.twcs import twcs_mentions, twcs_responses
from streams.tracking import FirstResponseOutput, PartitionTracker, Row, format_report, response_time_report

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def first_response(mention_id: str, minutes: float, team: str = "care", brand: str = "AcmeAir") -> FirstResponse:
    responded_at = T0 + timedelta(minutes=minutes)
    return FirstResponse(
        mention_id=mention_id,
        team=team,
        priority_band="normal",
        brand_account=brand,
        channel=Channel.TWITTER,
        created_at=T0,
        routed_at=T0,
        responded_at=responded_at,
        responder="agent",
        seconds_since_created=minutes * 60,
        seconds_since_routed=minutes * 60,
        breached=False,
    )


def test_median_and_nearest_rank_p90_per_team() -> None:
    care = [first_response(f"c{n}", m) for n, m in enumerate([10, 1, 4, 3, 2, 9, 5, 8, 7, 6])]
    billing = [first_response(f"b{n}", m, team="billing") for n, m in enumerate([5, 1, 3])]

    rows = response_time_report([*care, *billing], by="team")

    # care: 1..10 -> median (5 + 6) / 2; p90 = ceil(0.9 * 10) = 9th smallest. billing: 1, 3, 5 -> ceil(2.7) = 3rd.
    assert rows == [Row("care", 10, 5.5, 9.0), Row("billing", 3, 3.0, 5.0)]


def test_grouping_by_brand_and_ties_ordered_by_name() -> None:
    records = [
        first_response("1", 2, team="care", brand="Zeta"),
        first_response("2", 4, team="care", brand="Alpha"),
        first_response("3", 6, team="billing", brand="Alpha"),
        first_response("4", 1, team="billing", brand="Beta"),
        first_response("5", 3, team="billing", brand="Zeta"),
    ]
    assert response_time_report(records, by="brand") == [
        Row("Alpha", 2, 5.0, 6.0),
        Row("Zeta", 2, 2.5, 3.0),
        Row("Beta", 1, 1.0, 1.0),
    ]


def test_format_report() -> None:
    text = format_report([Row("AmazonHelp", 187, 8.883333, 60.5), Row("Delta", 87, 20.875, 300.0)], by="brand")
    assert text.splitlines() == [
        "brand       answered  median min     p90 min",
        "AmazonHelp       187        8.88       60.50",
        "Delta             87       20.88      300.00",
    ]


def test_empty_report() -> None:
    assert response_time_report([], by="team") == []


# ------------------------------------------------------------------------------------------ twcs sample

README_FIGURES = {  # shared/data/README.md: brand -> (answered, median first-response minutes)
    "ChipotleTweets": (208, 9.85),
    "AmazonHelp": (187, 8.88),
    "AppleSupport": (139, 8.95),
    "Uber_Support": (110, 17.90),
    "Delta": (87, 20.88),
    "comcastcares": (78, 8.38),
    "SpotifyCares": (77, 23.23),
    "TMobileHelp": (77, 3.38),
    "British_Airways": (73, 344.13),
    "AmericanAir": (68, 7.07),
}


def twcs_first_responses(path: Path) -> list[FirstResponse]:
    """Assignments + Responses from the twcs sample through one PartitionTracker, in event-time order, except
    that every fourth answered mention has its responses delivered first, latest first, then its assignment."""
    mentions = [m for m in twcs_mentions(path) if isinstance(m, Mention)]
    responses: dict[str, list[Response]] = {}
    for r in twcs_responses(path):
        responses.setdefault(r.mention_id, []).append(r)
    events: list[tuple[datetime, int, Assignment | Response]] = []
    delayed = 0
    for position, mention in enumerate(mentions):
        a = Assignment(
            mention_id=mention.id,
            team=mention.brand_account,  # twcs has no teams
            priority=50,
            priority_band="normal",
            channel=mention.channel,
            brand_account=mention.brand_account,
            created_at=mention.created_at,
            routed_at=mention.created_at,
            conversation_key=f"{mention.brand_account}:twitter:{mention.author.handle}",
            rules_version="twcs",
        )
        replies = sorted(responses.get(mention.id, []), key=lambda r: r.responded_at)
        if replies and position % 4 == 0:
            delayed += 1
            at = replies[-1].responded_at
            events += [(at, len(events), r) for r in reversed(replies)]
            events.append((at, len(events), a))
        else:
            events.append((a.created_at, len(events), a))
            events += [(r.responded_at, len(events), r) for r in replies]
    assert delayed > 400
    events.sort(key=lambda event: (event[0], event[1]))

    tracker = PartitionTracker()
    records: list[FirstResponse] = []
    for at, _, item in events:
        outputs = tracker.on_assignment(item) if isinstance(item, Assignment) else tracker.on_response(item)
        outputs += tracker.due(at)
        records += [o.record for o in outputs if isinstance(o, FirstResponseOutput)]
    return records


def test_twcs_sample_reproduces_the_independent_first_response_figures(shared_data: Path) -> None:
    records = twcs_first_responses(shared_data / "twcs-sample" / "twcs.csv")

    assert len(records) == len({r.mention_id for r in records}) == 2083  # README: 2,083 answered
    rows = response_time_report(records, by="brand")
    got = {row.group: (row.answered, round(row.median_minutes, 2)) for row in rows[: len(README_FIGURES)]}
    assert got == README_FIGURES
    assert [row.group for row in rows[: len(README_FIGURES)]] == list(README_FIGURES)
    assert all(row.p90_minutes >= row.median_minutes for row in rows)
