"""The healthy CometBFT node the conformance test probes: CometBFT v0.38 RPC answers by route."""

from tests.support.answers import cosmos_answers, rest, served

# /block: the block's id only, what the divergence hook reads (any height: one chain, one hash)
BLOCK = {"/block": {"jsonrpc": "2.0", "id": -1, "result": {"block_id": {"hash": "AB" * 32}}}}
UPSTREAM = served(rest(cosmos_answers(**BLOCK)))
