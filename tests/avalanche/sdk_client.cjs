// Calls every method the SIMULATED AvalancheGo serves through ava-labs' @avalanche-sdk/client and
// prints what the client returned as JSON (bigints as decimal strings), for test_sdk_client.py.
// Usage: node sdk_client.cjs <origin> <nodeID> <validationID> <subnetID>
const { createAvalancheClient } = require("@avalanche-sdk/client");
const { avalanche } = require("@avalanche-sdk/client/chains");

async function main() {
  const [origin, nodeID, validationID, subnetID] = process.argv.slice(2);
  // The client keeps the URL's origin and adds /ext/info, /ext/health, /ext/bc/P itself.
  const client = createAvalancheClient({ chain: avalanche, transport: { type: "http", url: `${origin}/ext/bc/C/rpc` } });
  const out = {
    health: await client.health.health({}),
    subnetHealth: await client.health.health({ tags: [subnetID] }),
    networkID: await client.info.getNetworkID(),
    nodeVersion: await client.info.getNodeVersion(),
    nodeID: await client.info.getNodeID(),
    bootstrapped: {},
    peers: await client.info.peers({}),
    uptime: await client.info.uptime(),
    height: await client.pChain.getHeight(),
    validators: await client.pChain.getCurrentValidators({ nodeIDs: [nodeID] }),
    l1Validator: await client.pChain.getL1Validator({ validationID }),
    // 0.1.1 has no wrapper for platform.getValidatorFeeState: the P-Chain client's own request.
    feeState: await client.pChain.request({ method: "platform.getValidatorFeeState", params: {} }),
  };
  for (const chain of ["P", "X", "C"]) out.bootstrapped[chain] = await client.info.isBootstrapped({ chain });
  try {
    await client.info.isBootstrapped({ chain: "nope" });
    out.unknownChain = "no error";
  } catch (err) {
    out.unknownChain = String(err.details || err.shortMessage || err.message);
  }
  process.stdout.write(JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? `bigint:${v}` : v)));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
