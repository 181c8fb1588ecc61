"""Read a team's routed mentions the way an agent inbox would (docs/contract.md).

    python examples/team_consumer.py --bootstrap localhost:9092 --topic mentions.routed.care [--max 10]

read_committed (the router writes in transactions), each record checked against the JSON Schema its
`schema` header names, one line per mention: id, priority, SLA due time, the rule that decided.
"""

import argparse
import asyncio
import json
from pathlib import Path

import jsonschema
from aiokafka import AIOKafkaConsumer

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas" / "json"
ROUTED = json.loads((SCHEMAS / "routed_mention.schema.json").read_text())


async def main(bootstrap: str, topic: str, group: str, max_records: int | None) -> None:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                                isolation_level="read_committed", enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    seen = 0
    try:
        async for record in consumer:
            schema_id = dict(record.headers).get("schema", b"").decode()
            if schema_id.rsplit(":", 1)[0] != ROUTED["$id"].rsplit(":", 1)[0]:
                print(f"skipped: offset {record.offset} is not a routed mention ({schema_id or 'no header'})")
                continue
            routed = json.loads(record.value)
            jsonschema.validate(routed, ROUTED)  # same MAJOR: unknown members are allowed, nothing removed
            route = routed["route"]
            print(f"{routed['mention']['id']} priority={route['priority']} due={route['sla_due_at']} "
                  f"rule={route['rule_id']} rerouted={route['rerouted']}", flush=True)  # fmt: skip
            await consumer.commit()  # after handling it: a crash here re-reads, never skips
            seen += 1
            if max_records is not None and seen >= max_records:
                return
    finally:
        await consumer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--topic", default="mentions.routed.care")
    parser.add_argument("--group", default="agent-inbox")
    parser.add_argument("--max", type=int, default=None, help="stop after this many mentions")
    args = parser.parse_args()
    asyncio.run(main(args.bootstrap, args.topic, args.group, args.max))
