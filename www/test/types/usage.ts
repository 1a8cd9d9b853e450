// Type-checked by `tsc --noEmit -p www/test/types` in the test command: the package's types
// describe the API as a TypeScript consumer uses it. Wrong usages are marked @ts-expect-error,
// so the check fails if the types become too loose.
import { Engine, detectPage, version, type Transaction, type Summary, type PageResult, type BcSpendCoreError } from 'bc-spend';

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
