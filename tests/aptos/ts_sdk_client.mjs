// Independent client for the Aptos simulator: the official @aptos-labs/ts-sdk.
// Usage: node ts_sdk_client.mjs <node_modules dir> <fullnode url (…/v1)> <pool address>; prints one JSON object.
// getLedgerInfo reads GET /v1; view sends the BCS ViewFunction (application/x.aptos.view_function+bcs)
// and viewJson the JSON body, both decoded by the SDK's response handling (an error status throws).
import { pathToFileURL } from "node:url";
import path from "node:path";

const [modules, url, pool] = process.argv.slice(2);
const sdk = await import(pathToFileURL(path.join(modules, "@aptos-labs/ts-sdk/dist/index.js")).href);
const { Aptos, AptosConfig, Network, parseTypeTag } = sdk;
const aptos = new Aptos(new AptosConfig({ network: Network.CUSTOM, fullnode: url }));

const abi = (params, returns) => ({ typeParameters: [], parameters: params.map(parseTypeTag), returnTypes: returns.map(parseTypeTag) });
const info = await aptos.getLedgerInfo();
const state = await aptos.view({ payload: { function: "0x1::stake::get_validator_state", functionArguments: [pool], abi: abi(["address"], ["u64"]) } });
const index = await aptos.view({ payload: { function: "0x1::stake::get_validator_index", functionArguments: [pool], abi: abi(["address"], ["u64"]) } });
const counts = await aptos.view({
  payload: { function: "0x1::stake::get_current_epoch_proposal_counts", functionArguments: [BigInt(index[0])], abi: abi(["u64"], ["u64", "u64"]) },
  options: { ledgerVersion: BigInt(info.ledger_version) },
});
const countsJson = await aptos.viewJson({ payload: { function: "0x1::stake::get_current_epoch_proposal_counts", functionArguments: [String(index[0])] } });
let abort = null;
try {
  await aptos.viewJson({ payload: { function: "0x1::stake::get_validator_state", functionArguments: ["0x" + "ab".repeat(32)] } });
} catch (err) {
  abort = { status: err.status, errorCode: err.data?.error_code, message: String(err.data?.message ?? "") };
}
console.log(JSON.stringify({ info, state, index, counts, countsJson, abort }));
