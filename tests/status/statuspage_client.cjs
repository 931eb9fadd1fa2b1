// Reads chainwatch status's summary.json with the npm `statuspage.io` client, as a consumer of
// a hosted Statuspage would. The client builds https://<page>.statuspage.io; its axios instance
// is pointed at the loopback server instead (argv[2]). Prints what the client returned, as JSON.
const { Statuspage } = require("statuspage.io");

async function main() {
  const page = new Statuspage("chainwatch");
  page.apiClient.defaults.baseURL = process.argv[2];
  const summary = await page.api.getSummary();
  const components = await page.api.getComponents();
  const status = await page.api.getStatus();
  process.stdout.write(JSON.stringify({ summary, components, status }));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
