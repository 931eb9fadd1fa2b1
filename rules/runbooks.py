"""Runbooks: ``runbooks/<AlertName>.md`` for every alert, from the texts below.

Each runbook says what the alert means, the likely causes on each chain kind, the first
checks and the mitigation, and ends with the exact rules generated from the config (chain,
severity, expression, ``for:``), so the on-call engineer sees the threshold that fired.
``docs/runbooks/`` in the repository is this output for ``examples/chainwatch.yaml``;
``runbook_url`` annotations point at ``<generate.runbook_base_url>/<AlertName>.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chainwatch.core.config import Config
from chainwatch.core.generated import header, write as write_file

from chainwatch.core import names
from chainwatch.rules.common import ALL_CHAINS, Alert


@dataclass(frozen=True)
class Runbook:
    title: str
    meaning: str
    causes: tuple[str, ...]
    checks: tuple[str, ...]
    mitigation: tuple[str, ...]


CHECK_PROBE = "Run `chainwatch check --config.file <config>`: it probes every endpoint once and prints head, lag, peers, latency and the failure reason."
CHECK_DASH = "Open the dashboard link of the alert: the operational dashboard shows the endpoint next to the chain's other endpoints and references."

RUNBOOKS: dict[str, Runbook] = {
    "ChainwatchExporterAbsent": Runbook(
        "The chainwatch exporter is not being scraped",
        "Prometheus has no successful scrape of the chainwatch exporter job. Every other chainwatch alert of the team is blind "
        "while this fires: an outage of a node would not page.",
        ("The exporter process crashed or was not restarted after a deploy (check its logs for a config error: an invalid "
         "config on start-up exits with code 2).",
         "The host or pod is down, or its disk is full so the service cannot start.",
         "A firewall or Kubernetes network policy change blocks Prometheus from the exporter port (default 9877).",
         "The Prometheus scrape config was changed: job name no longer matches `generate.exporter_job`, or the `/probe` relabeling is broken."),
        ("`curl -s http://<exporter>:9877/-/healthy` and `/metrics` from the Prometheus host.",
         "Prometheus UI → Status → Targets: the scrape error of the `chainwatch` job.",
         "`systemctl status chainwatch` / `kubectl logs` of the exporter."),
        ("Restart the exporter; if the config is invalid, fix it (`chainwatch check` validates it) or roll back.",
         "Until it is back, watch the nodes directly (their own metrics or `chainwatch check` from a shell)."),
    ),
    "ChainwatchEndpointDown": Runbook(
        "Endpoint down",
        "Every probe of one of our endpoints (`role` node or provider) failed for the `for:` duration. The description names "
        "the failure reason (`timeout`, `connect`, `tls`, `http_status`, `rate_limited`, `invalid_json`, `invalid_response`, "
        "`rpc_error`, `wrong_chain`, `response_too_large`).",
        ("`connect`: the client process is down (crashed, OOM-killed, disk full so it stopped), or the host is down.",
         "`timeout`: the node is overloaded (RPC overload from a traffic spike or heavy `eth_getLogs`/`debug_` calls), or stuck in a long compaction.",
         "`http_status`/`rate_limited`: a managed provider is throttling us or our API key expired or hit its quota.",
         "`tls`: a certificate expired on a proxy in front of the node.",
         "EVM: geth/nethermind restarting in a crash loop after a client bug; beacon: the beacon node lost its execution client; "
         "Solana: the validator is restarting from a snapshot (takes long, RPC is closed meanwhile)."),
        (CHECK_PROBE, "Client logs and `systemctl status` / `kubectl describe` of the node; disk usage (`df -h`) of its data volume.",
         "Host metrics: CPU, memory, open connections; a load balancer health check in front of the node."),
        ("Restart the client if it is hung; free or grow the disk if it is full; route traffic to the other nodes or a provider.",
         "For a provider: check its status page, rotate the API key, or fail over to another provider."),
    ),
    "ChainwatchProbeFailing": Runbook(
        "Probes fail intermittently",
        "A share of the probes of one of our endpoints failed with the reason in the `reason` label over the last 15 minutes: "
        "the endpoint is flapping rather than down. Users see errors for that share of their requests.",
        ("`rate_limited`/`http_status`: the provider's quota is exhausted at peak times.",
         "`timeout`: the node is close to overload: requests queue up and some exceed the scrape deadline.",
         "`invalid_response`/`rpc_error`: a load balancer mixes healthy and unhealthy backends, or one backend runs a different client version.",
         "`connect`: the process restarts now and then (crash loop with back-off, OOM kills)."),
        (CHECK_PROBE, CHECK_DASH, "Count restarts of the client (`systemctl show -p NRestarts`, pod restarts) and the backends behind any load balancer."),
        ("Take the bad backend out of the pool; raise the provider plan or spread load across providers; add RPC capacity.",),
    ),
    "ChainwatchWrongChain": Runbook(
        "Endpoint serves the wrong chain",
        "The endpoint answers for another network than the chain in the config: EVM `eth_chainId` differs from `chain_id`; "
        "beacon: `genesis_validators_root` of `/eth/v1/beacon/genesis` differs from the configured one; Solana: `getGenesisHash` "
        "differs from the configured `genesis_hash` (beacon and Solana are only checked when those are set; mainnet values: "
        "`0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95` and `5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d`). "
        "Every answer from it (balances, blocks, slots, transactions) belongs to another network.",
        ("The node was started with the wrong network flag (`--sepolia`, `--holesky`, a devnet genesis) after a re-provisioning.",
         "Beacon: a Holesky/Sepolia/Hoodi beacon node (`--network holesky`) or a checkpoint sync from another network's URL.",
         "Solana: an RPC node started with a devnet/testnet `--entrypoint` and `--expected-genesis-hash`, or a provider's devnet "
         "URL (`api.devnet.solana.com`, a devnet key) in the mainnet-beta chain.",
         "A DNS or load-balancer change points the endpoint name at a node of another network.",
         "A provider URL for another network was pasted into the config (e.g. a Polygon key on an Ethereum entry)."),
        ("`curl -s -XPOST -H 'content-type: application/json' -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\"}' <url>`.",
         "Beacon: `curl -s <url>/eth/v1/beacon/genesis` and compare `genesis_validators_root`.",
         "Solana: `curl -s -XPOST -H 'content-type: application/json' -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getGenesisHash\"}' <url>` "
         "(mainnet-beta `5eykt4Us…`, devnet `EtWTRABZ…`, testnet `4uhcVJyU…`).",
         "Compare the client's start flags and genesis with a correct node; check recent DNS/LB changes."),
        ("Take the endpoint out of service immediately (transactions signed for the expected chain id will not be accepted, "
         "reads are wrong); then fix the flags, the DNS record or the config entry."),
    ),
    "ChainwatchSyncLagHigh": Runbook(
        "Node behind the chain (blocks)",
        "The endpoint's head is more blocks (slots on beacon and Solana) behind the median head of the chain's references than "
        "the threshold. Thresholds are derived from the block time: the same minute is 5 Ethereum blocks but 240 Arbitrum blocks.",
        ("Desync after a client bug: the node rejected a block (bad block) and is stuck on a fork or stalled; common right after a hard fork if the client was not upgraded.",
         "Resource exhaustion: disk full or disk I/O saturated (slow NVMe, noisy neighbour), CPU starved, memory pressure and swapping.",
         "Peers lost to a network partition or firewall change: the node runs fine but receives no new blocks (see ChainwatchPeersLow).",
         "Beacon: the execution client is offline or syncing, so the beacon node cannot import blocks (`el_offline`, optimistic head).",
         "After a restart the node is catching up: the lag shrinks by itself; watch the trend."),
        (CHECK_DASH + " Is the lag growing (stuck) or shrinking (catching up)?",
         "Client logs for `bad block`, `invalid`, `fork`, database errors; disk space and I/O wait on the host.",
         "Peers of the node (`net_peerCount`, beacon `/eth/v1/node/peer_count`).",
         "If every node of the chain lags the same way, suspect the references instead (ChainwatchReferenceQuorumLost)."),
        ("Route RPC traffic away from the lagging node.",
         "Stuck on a bad block: upgrade the client to the fixed release, roll back to the last good block or resync from a snapshot.",
         "Disk full: prune or grow the volume; I/O saturated: move to faster storage.",
         "No peers: fix firewall/NAT for the p2p port, add static/trusted peers or bootnodes."),
    ),
    "ChainwatchSyncLagSecondsHigh": Runbook(
        "Node behind the chain (seconds)",
        "The endpoint's head block is older than the references' head by more than the threshold, measured from block "
        "timestamps. This is the lag in time a user of the node experiences, independent of the block time.",
        ("The same causes as ChainwatchSyncLagHigh: desync after a client bug, disk full or slow, lost peers, execution client offline.",
         "Slow block import: the node keeps up in block count only in bursts (heavy blocks, state growth on an undersized disk)."),
        (CHECK_DASH, "Client logs for import times (`Imported new chain segment` on geth, `Processed` on nethermind).",
         "Disk I/O wait and CPU on the host."),
        ("As for ChainwatchSyncLagHigh: route traffic away, fix resources, upgrade or resync the client.",),
    ),
    "ChainwatchHeadStale": Runbook(
        "No new block on the endpoint",
        "The newest block the endpoint knows is older than N × the expected block time (and never sooner than the configured "
        "minimum). The node stopped importing blocks.",
        ("The client is hung (deadlock, stuck database compaction) while its RPC still answers.",
         "Lost all peers (partition, firewall, p2p port closed) so no new blocks arrive.",
         "Disk full: the client cannot write new blocks but keeps serving old state.",
         "If every endpoint of the chain is stale at once, the chain itself halted: see ChainwatchChainHalted, which inhibits this alert."),
        (CHECK_PROBE, "Client logs around the time the head stopped; peers; disk space."),
        ("Route traffic away; restart the client; fix disk or networking.",),
    ),
    "ChainwatchPeersLow": Runbook(
        "Few peers",
        "The endpoint has fewer connected peers than the configured minimum (default 10). With few peers it receives blocks "
        "late or from a minority fork, and a partition isolates it completely.",
        ("The p2p port (30303 EVM, 9000 beacon) is closed by a firewall or security-group change, or NAT lost its port mapping.",
         "Network partition or upstream connectivity problems at the hosting provider.",
         "The client was restarted and is still discovering peers (normal for a few minutes).",
         "Max peers set too low, or the node is banned by peers because it served bad data."),
        ("Peers over time on the dashboard: a sudden drop (network) or a slow decline (discovery/bans)?",
         "`nc -vz <host> 30303` from outside; the host's firewall and cloud security groups.",
         "Client logs for discovery and `too many peers` / `disconnect` reasons."),
        ("Open the p2p port; add static peers or bootnodes; restart discovery (client restart).",),
    ),
    "ChainwatchMempoolHigh": Runbook(
        "Mempool full",
        "The node holds more pending transactions than the threshold. Transactions sent through it may wait long, be dropped or "
        "be evicted, and the node spends memory and CPU on the pool.",
        ("A demand spike (NFT mint, airdrop, market volatility) with gas prices rising faster than senders' bids.",
         "Spam or a bot flooding the node through its public RPC.",
         "The node does not propagate or include transactions (few peers, or it is behind), so they pile up (see ChainwatchMempoolNotMined)."),
        ("Pending vs queued on the per-chain dashboard; gas price and base fee trend.", "Peers and sync lag of the node.",
         "RPC request rates by client IP in the proxy logs (spam)."),
        ("Rate-limit the offending clients; raise `txpool` limits only if memory allows; make sure the node has peers and is in sync.",),
    ),
    "ChainwatchMempoolNotMined": Runbook(
        "Transactions pile up without being mined",
        "The pending pool of the node has only grown for the whole window: no transaction left it. Normally every new block "
        "removes transactions from the pool.",
        ("The node stopped importing blocks (stalled, desynced) so nothing is removed; HeadStale/SyncLag usually fire too.",
         "The node does not propagate transactions: no peers, or `--txpool.nolocals`/gossip disabled; they never reach a block producer.",
         "Sequencer or block producer trouble on an L2/sidechain: blocks are empty or not produced.",
         "Stuck nonce: one account's transaction with too low a fee blocks all its later transactions."),
        ("Head height and sync lag of the node; peers.", "`txpool_content`/`txpool_inspect` for the senders and gas prices of the oldest entries."),
        ("Fix sync or peers; replace stuck transactions with a higher fee (same nonce); restart the client if its pool is wedged.",),
    ),
    "ChainwatchRpcLatencyHigh": Runbook(
        "RPC latency high",
        "The 95th percentile of RPC round trips to the endpoint (the probe batch and any individually timed methods) over 5 "
        "minutes is above the threshold (default 500 ms). Applications feel it as slow pages and failed time-sensitive trades.",
        ("RPC overload: request volume above capacity (traffic spike, a client hammering `eth_getLogs` over wide ranges, tracing calls).",
         "The node is catching up or compacting its database and serves RPC slowly.",
         "Network path: cross-region traffic, a saturated link, packet loss.",
         "A provider degrading (check its status page)."),
        (CHECK_DASH + " Compare p50 with p95: all slow (host/network) or a tail (a few heavy requests)?",
         "CPU, disk I/O and open connections on the node; request mix in the proxy logs."),
        ("Add RPC capacity or shed load (rate limits, caching of heavy methods); move heavy consumers to a dedicated node; fail over to another provider.",),
    ),
    "ChainwatchRpcErrorRatioHigh": Runbook(
        "RPC errors",
        "More than the threshold share (default 5%) of RPC requests to the endpoint failed over 5 minutes (transport errors, "
        "HTTP errors or JSON-RPC errors).",
        ("Provider rate limits or quota exhaustion (HTTP 429, JSON-RPC `-32005`).",
         "Overload: the node rejects or times out requests.",
         "A method disabled or unsupported after a client upgrade or config change.",
         "Solana: `Node is behind` errors (`-32005`) while the node catches up."),
        (CHECK_PROBE, "Error codes in the exporter's logs and the proxy logs."),
        ("Raise the plan or spread load across providers; add capacity; re-enable the method or fix the client flags.",),
    ),
    "ChainwatchReferenceQuorumLost": Runbook(
        "Reference quorum lost",
        "Fewer reference endpoints than required are reachable and agree on the chain head. Lag is measured against the "
        "median of the references, so with too few of them lag figures (and lag alerts) of this chain are unreliable.",
        ("A provider outage or expired API key (the references are someone else's infrastructure).",
         "Egress from the exporter host to the providers is blocked (firewall, proxy, DNS).",
         "A reference serves a stale or forked head and no longer agrees with the others."),
        ("`chainwatch check`: the status of each reference.", "Provider status pages; API key validity and quota."),
        ("Renew keys or add another reference provider to the config (three independent references are recommended).",),
    ),
    "ChainwatchChainHalted": Runbook(
        "Chain halted",
        "The median head of every reference has not advanced for N × the block time (default 10 blocks, at least 60 s). This "
        "is a chain-wide incident, not one node: it pages once per chain and inhibits per-node lag, head-stale and peer alerts. "
        "Chains without references use the freshest head of all their endpoints instead.",
        ("A consensus failure of the network (client bug hit by a block, a bad upgrade) — block production stopped for everybody.",
         "L2: the sequencer is down or stopped posting blocks.",
         "Every reference provider failing in the same way at once (rare; check a public explorer to rule it out)."),
        ("A public block explorer and the chain's status page / community channels (Discord, Telegram) for an announced incident.",
         "Our own nodes' heads: are they stalled at the same height?"),
        ("Nothing to fix on our nodes; keep them running and up to date. Follow the network's coordinated restart instructions "
         "(new client release, restart flags) and tell users RPC reads are stale.",),
    ),
    "ChainwatchFinalityStalled": Runbook(
        "Finality stalled",
        "Every beacon node of the chain reports the last finalized checkpoint more epochs ago than the threshold (normal is 2). "
        "More than a third of the stake is not attesting on the canonical chain. Chain-wide; pages once per chain.",
        ("A consensus client bug taking down a large share of validators (has happened on mainnet, e.g. May 2023).",
         "A network split between client implementations after an upgrade.",
         "On a testnet/devnet: too few validators online."),
        ("Client team and network channels for announcements; the participation rate on a public beacon explorer.",
         "Our beacon nodes' logs for state-transition errors and memory use (non-finality grows the hot database fast — watch disk)."),
        ("Keep validators attesting (inactivity leak penalties grow quadratically for offline validators during non-finality); "
         "upgrade clients if a fix is released; make sure beacon node disks have room for the growing unfinalized state.",),
    ),
    "ChainwatchAttestationsMissed": Runbook(
        "Validator missed attestations in a row",
        "At least one validator of the group has missed its attestation in consecutive epochs (default 2). Each miss costs "
        "rewards; a long outage costs penalties.",
        ("The validator client is down, or lost its connection to the beacon node.",
         "The beacon node is not synced or its execution client is offline (attestations on a stale head are missed).",
         "The signer (remote signer/Web3Signer) is unreachable or its slashing-protection database is locked.",
         "Clock drift on the validator host (NTP broken)."),
        ("Validator client logs for `failed to attest`/`no duties`; beacon node sync status.",
         "Which validators: enable `per_validator_metrics` for the group or query the beacon API liveness endpoint.",
         "`timedatectl` for NTP sync."),
        ("Restart the validator client or point it at a healthy beacon node. Never start a second copy of the same keys elsewhere "
         "without the slashing-protection database: that is how validators get slashed.",),
    ),
    "ChainwatchAttestationMissRatioHigh": Runbook(
        "Attestation miss ratio high",
        "Over the last hour, the validators of the group missed more than the threshold share of their attestations (default 10%). "
        "Intermittent misses across a group point at shared infrastructure, not one key.",
        ("An overloaded or lagging beacon node shared by the group; late blocks make attestations late.",
         "Network latency or packet loss to peers (attestations arrive too late to be included).",
         "A subset of the group's validator clients down."),
        ("The per-chain dashboard: misses by group over time; beacon node peers and sync distance.",),
        ("Add beacon node capacity or peers; spread the group across beacon nodes; fix the failing clients.",),
    ),
    "ChainwatchProposalMissed": Runbook(
        "Block proposal missed",
        "A validator of the group was assigned a block proposal and no block appeared at the slot. A missed proposal loses "
        "the block's rewards and fees (MEV included). It is an event alert: it keeps firing for its look-back window "
        "(two epochs, at least 5 minutes) after the miss and then resolves by itself; a new miss starts it again.",
        ("The validator client or beacon node was down or not synced at the slot.",
         "The execution client was slow to build the payload, or the MEV relay / mev-boost did not answer in time.",
         "Clock drift."),
        ("Validator client and beacon node logs around the slot; mev-boost logs for relay timeouts.",),
        ("Fix the failing component; consider a local-build fallback for mev-boost and lower relay timeouts.",),
    ),
    "ChainwatchValidatorSlashed": Runbook(
        "Validator slashed",
        "The number of slashed validators in the group grew. A slashing burns stake and forces the validator out; a "
        "correlated slashing of many keys costs much more.",
        ("The same keys ran in two places at once (failover without slashing protection, a restored backup, a migration).",
         "A compromised signing key.",
         "A client bug producing a slashable message (very rare)."),
        ("Which validators (beacon explorer or `per_validator_metrics`); where their keys are loaded right now."),
        ("Stop every validator client that holds the affected keys (and check the others of the group) before anything else; "
         "keep the slashing-protection database; then investigate. The alert resolves after an hour; the validator stays slashed.",),
    ),
    "ChainwatchValidatorExited": Runbook(
        "Validator exiting",
        "The number of exiting or exited (unslashed) validators in the group grew. If nobody planned this exit, someone with "
        "the validator or withdrawal keys submitted it.",
        ("A planned voluntary exit not announced to the on-call team.",
         "Compromised keys: an attacker exits validators to withdraw the stake.",
         "An ejection: balance fell below the ejection limit after a long outage."),
        ("Who submitted the exit (beacon explorer); the group's effective balance history."),
        ("If unplanned: treat keys as compromised, rotate credentials where possible, involve security. The alert resolves "
         "after an hour.",),
    ),
    "ChainwatchValidatorMonitorStuck": Runbook(
        "Validator monitor stuck",
        "The chainwatch validator monitor has processed no epoch for several epochs. Attestation and proposal misses are not "
        "being counted, so the validator alerts above cannot fire.",
        ("The beacon endpoint the monitor uses (and its fallbacks) is down or not synced.",
         "The monitor's state file is not writable (disk full, permissions).",
         "The liveness endpoint is not supported by the beacon client version."),
        ("Exporter logs for the validator monitor; `chainwatch_validator_monitor_epochs_skipped_total`.",),
        ("Point the monitor at a healthy beacon node (add fallbacks), fix the state directory; epochs older than the previous one "
         "cannot be queried any more and are counted as skipped.",),
    ),
    "ChainwatchSolanaNodeBehind": Runbook(
        "Solana node behind",
        "The node's own `getHealth` says it is more slots behind the cluster than the threshold.",
        ("The validator is catching up after a restart or from a snapshot.",
         "Hardware too slow for the current load (CPU, NVMe, RAM for accounts), or the ledger disk is full.",
         "Network: lost gossip/turbine connectivity (firewall on the dynamic port range)."),
        ("`solana catchup <identity>`; validator logs; disk and CPU.",),
        ("Let it catch up if the gap shrinks; otherwise restart from a recent snapshot, fix disk/network, or upgrade hardware.",),
    ),
    "ChainwatchSolanaVoteDelinquent": Runbook(
        "Solana vote account delinquent",
        "A watched vote account is delinquent (its last vote is too far behind the cluster) or its vote lag exceeds the "
        "threshold. It earns no vote credits and its stake delegators notice.",
        ("The validator process is down or restarting.",
         "The node is behind (see ChainwatchSolanaNodeBehind) so its votes are late.",
         "The vote account's identity is not loaded on the running node (failover in progress, wrong identity keypair)."),
        ("`solana validators | grep <vote account>`; `solana catchup`; validator logs.",),
        ("Restart or fail over the validator (with the identity only ever active on one node at a time).",),
    ),
    "ChainwatchSolanaSkipRateHigh": Runbook(
        "Solana skip rate high",
        "The group's identities skipped more than the threshold share of their leader slots this epoch (checked only once "
        "they had at least 16 leader slots).",
        ("The node was behind or restarting during its leader slots.",
         "Insufficient hardware to produce blocks in 400 ms under load.",
         "Network problems delaying block propagation."),
        ("`solana block-production --epoch <n>`; leader-slot timing in the validator logs.",),
        ("Fix the node's sync and hardware; avoid restarts near leader slots (`solana leader-schedule`).",),
    ),
    "ChainwatchSolanaClusterHalted": Runbook(
        "Solana cluster halted",
        "No reference has confirmed a new slot for the threshold time. The whole cluster stopped (it has happened several "
        "times); pages once and inhibits per-node lag alerts.",
        ("A cluster-wide consensus stall (resource exhaustion from bot traffic, a bug in a validator release).",),
        ("Solana status page and validator community channels for the coordinated restart plan.",),
        ("Follow the coordinated restart instructions (specific release, `--wait-for-supermajority` slot and hash); keep our "
         "validator ready; tell users RPC data is stale.",),
    ),
    "ChainwatchRollupSafeHeadLagging": Runbook(
        "Rollup safe head lagging (batcher or data availability stalled)",
        "An op-node's safe L2 head (blocks derived from batches on L1) is further behind its unsafe head (blocks the "
        "sequencer produced) than `rollup.safe_lag_seconds` (default 15 minutes) for `rollup.safe_lag_for` (default 2m). "
        "The chain still produces blocks, but they are not being secured on L1: withdrawals, bridges and exchanges that "
        "wait for the safe head stall, and an unsafe-head reorg becomes possible.",
        ("op-batcher stopped posting: crashed, out of L1 gas funds, its L1 RPC failing, or its transactions stuck at a too-low fee.",
         "Data availability: blobs or an alt-DA server unreachable, so posted batches cannot be read.",
         "The op-node's own L1 node is lagging (then ChainwatchRollupL1ViewBehind fires too and inhibits this page)."),
        ("`optimism_syncStatus` on the op-node: `safe_l2` vs `unsafe_l2` numbers and timestamps.",
         "op-batcher logs and metrics (`op_batcher_default_pending_blocks_count`, published channel frames); the batcher "
         "account's L1 balance and pending transactions.",
         "The rollup's dashboard row: safe lag of every op-node (all lagging = batcher; one = that node's derivation)."),
        ("Restart or refund the batcher; raise its fee caps if transactions are stuck; fail over its L1 RPC.",
         "Tell bridge and exchange users that L2 confirmations are delayed until the safe head catches up."),
    ),
    "ChainwatchRollupL1ViewBehind": Runbook(
        "Rollup node derives from a lagging L1 node",
        "The L1 head an op-node sees (`head_l1` of `optimism_syncStatus`) is more than `rollup.l1_lag_blocks` (default 5) "
        "blocks behind the references of the rollup's `l1_chain`, for `rollup.l1_lag_for` (default 2m). Derivation can only "
        "read L1 blocks its L1 node has: the safe head stalls and deposits are not picked up, while the chain itself may be healthy.",
        ("The op-node's L1 execution node (or its beacon node for blobs) is syncing, stuck or overloaded.",
         "A rate-limited or failing L1 RPC provider behind the op-node (`--l1` flag).",
         "The op-node is resetting its pipeline after an L1 reorg (short; resolves by itself)."),
        ("`optimism_syncStatus`: `head_l1` and `current_l1` against the L1 references' head on the dashboard.",
         "The L1 node's own chainwatch alerts (sync lag, head stale) on the `l1_chain`.",
         "op-node logs: L1 fetch errors, `derivation pipeline` resets."),
        ("Point the op-node at a healthy L1 node or provider, or fix the L1 node; the op-node catches up by itself.",),
    ),
    "ChainwatchRollupFinalityLagging": Runbook(
        "Rollup finalized head lagging",
        "An op-node's finalized L2 head is more than `rollup.finality_lag_seconds` (default 1 hour) behind its unsafe head "
        "for `rollup.finality_lag_for` (default 10m). Finalization needs both derivation (safe head) and L1 finality.",
        ("L1 finality is delayed (the L1 beacon chain is not finalizing).",
         "The safe head is stalled (batcher, DA or L1 view: see the other rollup alerts).",
         "The op-node's L1 node does not serve the `finalized` block tag."),
        ("`optimism_syncStatus`: `finalized_l1` and `finalized_l2`; the L1 chain's finality (beacon `ChainwatchFinalityStalled`).",),
        ("Fix the cause above; nothing to do on the op-node when L1 itself is not finalizing.",),
    ),
    "ChainwatchSequencerDown": Runbook(
        "Rollup sequencer down",
        "No reference of the rollup's L2 chain has seen a new block for the L2 chain's halt threshold, while its L1 chain "
        "keeps producing blocks: the sequencer stopped. It pages once for the rollup, with the L2 chain's `chain` label, "
        "and inhibits that chain's ChainwatchChainHalted and per-node head-stale and lag alerts.",
        ("The sequencer's op-node or op-geth crashed, or lost its leadership (op-conductor failover stuck).",
         "The sequencer's L1 RPC is failing and it stopped sequencing past the sequencer drift.",
         "A planned upgrade or halt (check the rollup's announcements)."),
        ("The sequencer's op-node (`admin_sequencerActive`) and op-geth logs; op-conductor leader status.",
         "Whether the L1 chain is healthy on its own chainwatch dashboard."),
        ("Restart or fail over the sequencer (op-conductor `conductor_transferLeader`); tell users the chain is halted.",),
    ),
    "ChainwatchSLOErrorBudgetBurn": Runbook(
        "SLO error budget burning",
        "The chain's SLO (label `slo`: availability, latency or freshness) is consuming its error budget faster than "
        "sustainable. Page (critical): 14.4x over 1h and 5m, or 6x over 6h and 30m — at that rate 2% resp. 5% of a 30-day "
        "budget is gone within the window. Ticket (warning): 3x over 1d and 2h, or 1x over 3d and 6h.",
        ("availability: endpoints failing probes (see EndpointDown/ProbeFailing for which).",
         "latency: RPC overload or a slow provider (see RpcLatencyHigh).",
         "freshness: nodes lagging the references (see SyncLagHigh)."),
        ("The executive dashboard: the SLO's error budget remaining; the operational dashboard for the endpoints responsible.",),
        ("Fix the underlying endpoint problem; if the budget is spent, freeze risky changes (client upgrades, migrations) on that chain.",),
    ),
}

assert set(RUNBOOKS) == {a.name for a in names.ALERTS}, set(RUNBOOKS) ^ {a.name for a in names.ALERTS}


def _list(items) -> str:
    if isinstance(items, str):
        items = (items,)
    return "".join(f"- {item}\n" for item in items)


def render(name: str, config: Config, alerts: list[Alert]) -> str:
    rb = RUNBOOKS[name]
    spec = names.ALERT_BY_NAME[name]
    out = ["<!--\n" + header(config.path, " ") + "-->\n"]
    out.append(f"# {name}\n\n**{rb.title}** — severity {' / '.join(spec.severities)}, scope `{spec.scope}` "
               f"(chain kinds: {', '.join(spec.kinds)}).\n\n")
    out.append(f"## Meaning\n\n{rb.meaning}\n\n")
    out.append(f"## Likely causes\n\n{_list(rb.causes)}\n")
    out.append(f"## First checks\n\n{_list(rb.checks)}\n")
    out.append(f"## Mitigation\n\n{_list(rb.mitigation)}\n")
    mine = [a for a in alerts if a.name == name]
    out.append(f"## Rules generated from {Path(config.path).name}\n\n")
    if not mine:
        out.append("No chain in this config generates this alert.\n")
    else:
        out.append("| chain | team | severity | for | expression |\n|---|---|---|---|---|\n")
        for a in mine:
            chain = "all chains" if a.chain == ALL_CHAINS else a.chain
            slo = f" (slo {a.extra_labels['slo']})" if "slo" in a.extra_labels else ""
            expr = a.expr.replace("|", "\\|")
            out.append(f"| {chain}{slo} | {a.team} | {a.severity} | {a.for_ or '—'} | `{expr}` |\n")
    return "".join(out)


def write(config: Config, out: Path, alerts: list[Alert]) -> list[Path]:
    return [write_file(out / f"{spec.name}.md", render(spec.name, config, alerts)) for spec in names.ALERTS]
