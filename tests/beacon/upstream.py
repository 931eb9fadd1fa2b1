"""The healthy beacon node the conformance test probes: Beacon API spec answers by route."""

from tests.support.answers import beacon_answers, rest, served

UPSTREAM = served(rest(beacon_answers()))
