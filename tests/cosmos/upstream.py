"""The healthy CometBFT node the conformance test probes: CometBFT v0.38 RPC answers by route."""

from tests.support.answers import cosmos_answers, rest, served

UPSTREAM = served(rest(cosmos_answers()))
