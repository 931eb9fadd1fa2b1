"""The healthy beacon node the conformance test probes: Beacon API spec answers by route."""

from tests.support.answers import beacon_answers, rest, served

# headers/{slot}: every slot below the head has a block of one chain (the divergence hook's route)
HEADERS = {f"/eth/v1/beacon/headers/{s}": {"data": {"root": "0x" + "ab" * 32, "canonical": True}} for s in range(17)}
UPSTREAM = served(rest(beacon_answers(**HEADERS)))
