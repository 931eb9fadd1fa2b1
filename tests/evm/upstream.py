"""The healthy EVM node the conformance test probes: a fake geth answering the Ethereum JSON-RPC spec's shapes."""

from tests.support.answers import evm_results, served

UPSTREAM = served(lambda srv: srv.jsonrpc("/", evm_results()))
