"""The healthy Solana node the conformance test probes: answers in the shapes of solana.com/docs/rpc/http.

Its slot is past the divergence depth (64), and ``getBlock`` answers a block without
transactions and rewards, as asked (``transactionDetails: "none"``, ``rewards: false``)."""

import time

from tests.support.answers import served, solana_results

SLOT = 200
BLOCK = {
    "blockHeight": SLOT - 66,
    "blockTime": int(time.time()) - 30,
    "blockhash": "4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZAMdL4VZHirAn",
    "parentSlot": SLOT - 65,
    "previousBlockhash": "mfcyqEXB3DnHXki6KjjmZck6YjmZLvpAByy2fj4nh6B",
}

UPSTREAM = served(lambda srv: srv.jsonrpc("/", solana_results(SLOT, getBlock=BLOCK)))
