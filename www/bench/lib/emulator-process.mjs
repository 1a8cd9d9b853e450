// The emulator for the sync benchmark, in its own process (so its CPU is not the sync's), with a
// control channel on stdin: `pay P` pays P% of the invoices (open ones posted in the window,
// in store order), as BC would between two runs, and answers `paid N`. Prints `ready` once
// the credentials file is written.
//
//   node lib/emulator-process.mjs '{"invoices":30000,"latency":50,"credentialsOut":"FILE"[,"companyWeights":[3,1,1]]}'
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startEmulator } from '../../emulator/index.js';

const { invoices, latency = 0, credentialsOut, companyWeights } = JSON.parse(process.argv[2]);
const emu = await startEmulator({ port: 0, seed: 1, dataset: { invoices, companies: 3, ...(companyWeights ? { companyWeights } : {}) }, latencyMs: latency });
const c = emu.credentials;
writeFileSync(credentialsOut, JSON.stringify({ tenantId: c.tenantId, environment: c.environment, clientId: c.clientId, clientSecret: c.clientSecret, authorityHost: emu.authorityHost, apiHost: emu.apiHost }), { mode: 0o600 });

const OPEN = 3; // emulator/data.js STATUS_NAMES
const WINDOW_START_DAY = Date.parse('2025-11-01T00:00:00Z') / 86_400_000;

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(' ');
  if (cmd !== 'pay') return;
  const total = emu.data.companies.reduce((n, co) => n + co.invoices.n, 0);
  const want = Math.round((total * Number(arg)) / 100);
  let paid = 0;
  for (const co of emu.data.companies) {
    const st = co.invoices;
    for (let i = 0; i < st.n && paid < want; i++) {
      if (st.status[i] === OPEN && st.postingDay[i] >= WINDOW_START_DAY) {
        emu.mutate.payInvoice(co.id, emu.data.ids.guid('invoice', co.index, i));
        paid++;
      }
    }
  }
  process.stdout.write(`paid ${paid}\n`);
});
process.stdout.write('ready\n');
