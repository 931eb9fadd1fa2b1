"""The healthy throwaway node the conformance test probes: node-1 of the throwaway simulator."""

from tests.support.answers import simulated

UPSTREAM = simulated("tests.support.throwaway_kind.simulator", lambda sim: sim.ThrowawaySim(["node-1"]), "node-1")
