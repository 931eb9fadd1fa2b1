"""The healthy AvalancheGo node the conformance test probes: node-1 of the AvalancheGo simulator (network 1)."""

from tests.support.answers import simulated

UPSTREAM = simulated("chainwatch.kinds.avalanche.simulator", lambda sim: sim.AvalancheSim(["node-1"], network_id=1), "node-1")
