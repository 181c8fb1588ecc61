"""Tell the router a mention was answered, the way a helpdesk would (docs/contract.md).

    python examples/publish_response.py --bootstrap localhost:9092 --mention-id twitter:1234 --team care

A `Response` record on mentions.responses, keyed by the mention id with Kafka's default (murmur2)
partitioner, so it reaches the track stage's partition that holds the mention. The track stage then
publishes the first-response time to mentions.response_times and stops the mention's SLA clock.
"""

import argparse
import asyncio
import json
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer


async def main(bootstrap: str, topic: str, mention_id: str, team: str, responder: str, kind: str) -> None:
    response = {
        "mention_id": mention_id,
        "team": team,
        "responder": responder,  # an agent id, not a name: no personal data
        "responded_at": datetime.now(UTC).isoformat(),
        "kind": kind,  # first_reply, reply or resolved
    }
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        headers = [("schema", b"urn:mention-router:schema:response:1.0")]
        await producer.send_and_wait(topic, json.dumps(response).encode(), key=mention_id.encode(), headers=headers)
    finally:
        await producer.stop()
    print(f"published a {kind} by {responder} for {mention_id}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--topic", default="mentions.responses")
    parser.add_argument("--mention-id", required=True)
    parser.add_argument("--team", required=True)
    parser.add_argument("--responder", default="agent-1")
    parser.add_argument("--kind", default="first_reply", choices=["first_reply", "reply", "resolved"])
    args = parser.parse_args()
    asyncio.run(main(args.bootstrap, args.topic, args.mention_id, args.team, args.responder, args.kind))
