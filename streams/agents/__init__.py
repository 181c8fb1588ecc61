"""One agent per stage: decode, call the pure logic, emit outputs, count. Nothing else lives here."""
