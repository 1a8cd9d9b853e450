// Type-checked by `tsc --noEmit -p www/test/types` in the test command: the package's types
// describe the API as a TypeScript consumer uses it. Wrong usages are marked @ts-expect-error,
// so the check fails if the types become too loose.
import {
  Engine, detectPage, version, type Transaction, type Summary, type PageResult, type BcSpendCoreError,
  runSync, createClientCredentials, createBcClient, createMemoryCheckpointStore, environmentKey, stateChunks, core,
  fromTokenCredential, createPkcePair, buildAuthorizeUrl, parseAuthorizeRedirect, BcSpendError, ERROR_MESSAGES,
  type SyncResult, type SyncOutcome, type BcClient, type Report, type CheckpointUpdate,
} from 'bc-spend';

const engine = new Engine({ connectedAt: '2026-11-26', lineMode: 'auto', creditMemos: true, rules: [{ id: 'r1', priority: 1, action: 'ignore', vendor: { op: 'contains', value: 'Rent' } }] });
const r: PageResult = engine.addPage('purchaseInvoices', null, '{"value":[]}');
const n: number = r.accepted + r.rejected;
engine.addPageObject(null, 'c1', { value: [] });
const txs: Transaction[] = engine.transactions();
for (const t of txs) {
  const amount: string = t.amountExcludingTax;
  const app: string | undefined = t.match?.appId;
  const lines = t.lines ?? [];
  for (const l of lines) void (l.match?.evidence[0]?.start ?? 0);
  void amount; void app;
}
const s: Summary = engine.summary();
void s.totals[0]?.currency;
const d = engine.explain('Slack Technologies Limited', null);
void d.match?.decidedBy;
void detectPage('{}').entity;
const staged = engine.stagePage('purchaseInvoices', null, '{"value":[]}');
if (staged) void (staged.envelope.records ?? engine.commitPage(staged.handle).accepted);
void version();
void n;
try { new Engine({}); } catch (e) { void (e as BcSpendCoreError).code; }

// @ts-expect-error lineMode is one of three names
new Engine({ connectedAt: '2026-11-26', lineMode: "lines" });
// @ts-expect-error amounts are decimal strings, not numbers
const wrong: number = txs[0]!.amountExcludingTax;
void wrong;
// @ts-expect-error entity names are checked
engine.addPage('salesInvoices', null, '');

// The host: sign-in, the BC client, the sync (core defaulted), merging company states.
async function hostUsage(): Promise<void> {
  const credential = createClientCredentials({ tenantId: 't', clientId: 'c', clientSecret: 's', authorityHost: 'http://127.0.0.1:1' });
  const client: BcClient = createBcClient({ credential, environment: 'production', apiHost: 'http://127.0.0.1:1', maxPageSize: 100 });
  const page = await client.get('api/v2.0/companies', { maxPageSize: 10 });
  const pageText: string = page.text;
  const raw = await client.get('api/v2.0/companies', { body: 'bytes', parse: (body) => engine.stagePage('companies', null, body) });
  engine.addPage('companies', null, raw.bytes);
  const store = createMemoryCheckpointStore();
  const result: SyncResult = await runSync({
    credential, tenantId: 't', environment: 'production',
    engineOptions: { lineMode: 'invoice' },
    sync: { connectedAt: '2026-11-26', companies: ['CRONUS USA, Inc.'], concurrency: 5 },
    checkpoint: store.load(),
    saveCheckpoint: (u: CheckpointUpdate) => store.save(u),
    onProgress: (e) => void e.progress?.pages,
  });
  const outcome: SyncOutcome = result.outcome;
  const merged = Engine.fromStates({ environment: environmentKey('t', 'production'), windowStart: outcome.windowStart }, [result.engine.exportState()]);
  const report: Report = merged.report({ asOf: '2026-11-26' });
  for (const piece of stateChunks(result.engine)) void piece.byteLength;
  const state: Uint8Array = result.engine.exportState();
  void Engine.fromState({}, state);
  result.engine.free();
  void runSync({ client, core, environment: 'production' });
  void runSync({ client, core, environment: 'production', saveCheckpoint: async (u) => { for await (const p of u.state ?? []) void (typeof p === 'string' ? p.length : p.byteLength); } });
  void fromTokenCredential(async () => 'token');
  const { codeChallenge } = await createPkcePair();
  const url: string = buildAuthorizeUrl({ clientId: 'c', redirectUri: 'http://localhost/cb', state: 'x', codeChallenge });
  const redirect = parseAuthorizeRedirect(url, { expectedState: 'x' });
  if ('code' in redirect) void redirect.code.length;
  try { await client.get('x'); } catch (e) { if (e instanceof BcSpendError) void (e.code + (e.status ?? 0) + ERROR_MESSAGES[e.code]); }
  void pageText; void report.topApps;
  // seats and price per seat a month: per app, per subscription and per charge
  const app0 = report.apps[0];
  const seats: number | null = app0?.seats ?? null;
  const perSeat: string | undefined = app0?.pricePerSeatMonthly?.amount;
  for (const p of app0?.cadence?.seatHistory ?? []) void (p.seats + (p.pricePerSeatMonthly ?? '') + (p.period ?? ''));
  void seats; void perSeat;
  // @ts-expect-error a price per seat is a decimal string
  const perSeatNumber: number | undefined = app0?.pricePerSeatMonthly?.amount;
  void perSeatNumber;

  // @ts-expect-error the client secret is required
  createClientCredentials({ tenantId: 't', clientId: 'c' });
  // @ts-expect-error the environment is required
  createBcClient({ credential });
  // @ts-expect-error sync options are checked: concurrency is a number
  void runSync({ credential, sync: { concurrency: 'five' } });
  // @ts-expect-error merged states are bytes (or v1 texts), not engines
  Engine.fromStates({}, [merged]);
}
void hostUsage;
