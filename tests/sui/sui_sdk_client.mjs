// Independent client for the Sui simulator: the official @mysten/sui gRPC client (gRPC-web transport).
// Usage: node sui_sdk_client.mjs <node_modules dir> <base url> [bearer token] [checkpoints to stream];
// prints one JSON object: GetServiceInfo, a refusal without the token, and the first checkpoints
// of SubscriptionService/SubscribeCheckpoints (server streaming over gRPC-web).
import { pathToFileURL } from "node:url";
import path from "node:path";

const [modules, baseUrl, token, streamCount] = process.argv.slice(2);
const { SuiGrpcClient } = await import(pathToFileURL(path.join(modules, "@mysten/sui/dist/grpc/index.mjs")).href);
const meta = token ? { authorization: `Bearer ${token}` } : {};
const client = new SuiGrpcClient({ network: "localnet", baseUrl, meta });
const { response } = await client.ledgerService.getServiceInfo({});
let refused = null;
try {
  await new SuiGrpcClient({ network: "localnet", baseUrl }).ledgerService.getServiceInfo({});
} catch (err) {
  refused = { code: String(err.code), message: String(err.message) };
}
const big = (v) => (v === undefined ? null : v.toString());
const streamed = [];
if (streamCount) {
  const abort = new AbortController();
  const call = client.subscriptionService.subscribeCheckpoints({ readMask: { paths: ["sequence_number"] } }, { abort: abort.signal });
  try {
    for await (const message of call.responses) {
      streamed.push({ cursor: big(message.cursor), sequenceNumber: big(message.checkpoint?.sequenceNumber) });
      if (streamed.length >= Number(streamCount)) abort.abort();
    }
  } catch (err) {
    if (streamed.length < Number(streamCount)) throw err;
  }
}
console.log(JSON.stringify({
  chainId: response.chainId ?? null,
  chain: response.chain ?? null,
  epoch: big(response.epoch),
  checkpointHeight: big(response.checkpointHeight),
  timestamp: response.timestamp ? { seconds: big(response.timestamp.seconds), nanos: response.timestamp.nanos } : null,
  lowestAvailableCheckpoint: big(response.lowestAvailableCheckpoint),
  server: response.server ?? null,
  refused,
  streamed,
}));
