"""The healthy Sui node the conformance test probes: node-1 of the Sui simulator."""

from tests.support.answers import simulated

UPSTREAM = simulated("chainwatch.kinds.sui.simulator", lambda sim: sim.Chain(["node-1"]), "node-1")
