"""The healthy Bitcoin Core node the conformance test probes: answers in the shapes of its 0.21 RPC reference."""

from tests.support.answers import bitcoin_results, served

UPSTREAM = served(lambda srv: srv.jsonrpc("/", bitcoin_results()))
