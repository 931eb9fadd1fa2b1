"""The healthy op-node the conformance test probes: the op-node simulator deriving from a fake geth (its L1 and L2)."""

from tests.support.answers import linked

UPSTREAM = linked("chainwatch.kinds.opnode.simulator", lambda sim, url: sim.OpNodeSim(url, url), "")
