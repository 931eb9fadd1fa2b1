// Independent client for the CometBFT simulator: @cosmjs/tendermint-rpc's own decoders.
// Usage: node cosmjs_client.cjs <rpc url> <block height>; prints one JSON object.
// cosmjs has no decoder for /net_info, so it is read through cosmjs's HttpClient, whose
// JSON-RPC response parser still checks the envelope.
const { connectComet, Comet38Client, HttpClient, pubkeyToRawAddress } = require("@cosmjs/tendermint-rpc");
const { toHex } = require("@cosmjs/encoding");

async function main() {
  const [url, heightText] = process.argv.slice(2);
  const height = Number(heightText);
  const client = await connectComet(url);
  const status = await client.status();
  const block = await client.block(height);
  const validators = await client.validatorsAll(height - 1);
  const page2 = await client.validators({ height: height - 1, page: 2, per_page: 2 });
  const net = await new HttpClient(url).execute({ jsonrpc: "2.0", id: 7, method: "net_info", params: {} });
  const hex = (b) => (b ? toHex(b).toUpperCase() : "");
  console.log(JSON.stringify({
    client: client instanceof Comet38Client ? "Comet38Client" : client.constructor.name,
    status: {
      network: status.nodeInfo.network,
      version: status.nodeInfo.version,
      latestBlockHeight: status.syncInfo.latestBlockHeight,
      latestBlockTime: status.syncInfo.latestBlockTime.toISOString(),
      catchingUp: status.syncInfo.catchingUp,
    },
    block: {
      height: block.block.header.height,
      chainId: block.block.header.chainId,
      time: block.block.header.time.toISOString(),
      proposer: hex(block.block.header.proposerAddress),
      validatorsHash: hex(block.block.header.validatorsHash),
      lastCommitHeight: block.block.lastCommit.height,
      signatures: block.block.lastCommit.signatures.map((s) => ({ flag: s.blockIdFlag, address: hex(s.validatorAddress), signed: !!s.signature })),
    },
    validators: {
      blockHeight: validators.blockHeight,
      total: validators.total,
      list: validators.validators.map((v) => ({
        address: hex(v.address),
        derived: hex(pubkeyToRawAddress(v.pubkey.algorithm, v.pubkey.data)),
        algorithm: v.pubkey.algorithm,
        power: v.votingPower.toString(),
      })),
      page2: page2.validators.map((v) => hex(v.address)),
    },
    netInfo: { nPeers: Number(net.result.n_peers), peers: net.result.peers.length, network: net.result.peers[0].node_info.network },
  }));
  client.disconnect();
}

main().catch((err) => { console.error(String(err && err.stack || err)); process.exit(1); });
