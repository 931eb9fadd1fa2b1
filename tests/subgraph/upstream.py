"""The healthy subgraph the conformance test probes: the graph-node simulator indexing a fake geth (the chain it links)."""

from tests.support.answers import linked

UPSTREAM = linked("chainwatch.kinds.subgraph.simulator", lambda sim, url: sim.Subgraph(url, poll_seconds=0.1), "subgraphs/name/sim")
