"""The healthy Aptos node the conformance test probes: node-1 of the Aptos simulator (chain id 1)."""

from tests.support.answers import simulated

UPSTREAM = simulated("chainwatch.kinds.aptos.simulator", lambda sim: sim.Chain(["node-1"], chain_id=1), "node-1/v1")
