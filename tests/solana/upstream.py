"""The healthy Solana node the conformance test probes: answers in the shapes of solana.com/docs/rpc/http."""

from tests.support.answers import served, solana_results

UPSTREAM = served(lambda srv: srv.jsonrpc("/", solana_results()))
