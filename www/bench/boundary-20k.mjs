// The issue-2 boundary measurement: one 20,000-invoice page (full BC fields, ~55 MB) through
// addPage(text) and addPageObject(JSON.parse(text)), against JSON.parse alone; median of 5.
// Run after the build: node www/bench/boundary-20k.mjs
import { Engine } from '../../pkg/node.js';
import { readFileSync } from 'node:fs';
const base = JSON.parse(readFileSync(new URL('../../tests/fixtures/sample/us-purchaseInvoices-1.json', import.meta.url), 'utf8'));
const value = [];
for (let i = 0; i < 20000; i++) {
  const inv = structuredClone(base.value[i % base.value.length]);
  inv.id = `00000000-0000-4000-8000-${String(i).padStart(12,'0')}`;
  inv.purchaseInvoiceLines.forEach((l, j) => { l.id = `10000000-0000-4000-8000-${String(i*10+j).padStart(12,'0')}`; l.documentId = inv.id; });
  value.push(inv);
}
const text = JSON.stringify({ '@odata.context': base['@odata.context'], value });
const opts = { connectedAt: '2026-11-26' };
const time = (f) => { const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t) / 1e6; };
const med = (a) => a.sort((x,y)=>x-y)[a.length>>1];
const r = { parse: [], text: [], object: [] };
for (let k = 0; k < 5; k++) {
  r.parse.push(time(() => JSON.parse(text)));
  { const e = new Engine(opts); r.text.push(time(() => e.addPage(null, null, text))); e.free(); }
  { const e = new Engine(opts); r.object.push(time(() => e.addPageObject(null, null, JSON.parse(text)))); e.free(); }
}
console.log(`page: ${(text.length/1e6).toFixed(1)} MB, 20000 invoices`);
console.log(`JSON.parse: ${med(r.parse).toFixed(0)} ms; addPage(text): ${med(r.text).toFixed(0)} ms; addPageObject(JSON.parse(text)): ${med(r.object).toFixed(0)} ms; object/text = ${(med(r.object)/med(r.text)).toFixed(2)}x`);
