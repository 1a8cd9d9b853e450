// `bc-spend explain VENDOR [DESCRIPTION]`: how the matcher decides a vendor (and a line).
import { CliError, EXIT, createEngine, loadCore, readJsonFile, terminalText, todayUtc } from './common.js';

export const EXPLAIN_HELP = `Usage: bc-spend explain VENDOR [DESCRIPTION] [options]

Shows which SaaS app a vendor name (and optionally a purchase line description) is matched to,
what decided it, the evidence, the confidence and the runner-up; or, when nothing matches, the
closest candidate and why it was rejected.

Options:
  --rules FILE     customer matching rules (JSON), applied first
  --catalog FILE   a catalog to extend the built-in one (JSON; "mode": "replace" replaces it)
  --json           print the decision as JSON
`;

export const EXPLAIN_OPTIONS = {
  rules: { type: 'string' },
  catalog: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const DECIDED_BY = {
  rule: 'a customer rule',
  vendorName: "the vendor's name",
  vendorDomain: "the vendor's website or e-mail domain",
  description: 'the line description',
  vendorDefault: "the vendor's main app (the vendor sells several)",
  lines: "the invoice's lines",
};

const pct = (x) => `${Math.round(x * 100)}%`;

/** Readable text for a decision (also used by tests). */
export function formatDecision(vendor, description, d) {
  // The names come from BC exports pasted on the command line and from the catalog or rules:
  // each value is printed on its line, without escape sequences.
  const t = (v) => terminalText(v);
  const out = [`vendor:      ${t(vendor)}`];
  if (description != null) out.push(`description: ${t(description)}`);
  out.push('');
  if (d.ignoredByRule) {
    out.push(`ignored by rule ${t(d.ignoredByRule)}: not counted as SaaS spend`);
    return out.join('\n') + '\n';
  }
  const m = d.match;
  if (m) {
    out.push(`matched:     ${t(m.appName)} (${t(m.appId)}), ${t(m.category)}`);
    out.push(`decided by:  ${DECIDED_BY[m.decidedBy] ?? t(m.decidedBy)}${m.ruleId ? ` (${t(m.ruleId)})` : ''}`);
    if (m.via) out.push(`bought via:  ${t(m.via.name)} (${t(m.via.kind)})`);
    out.push(`confidence:  ${pct(m.confidence)}`);
    if (m.evidence.length) {
      out.push('evidence:');
      for (const e of m.evidence) {
        out.push(`  ${e.field.padEnd(12)} "${t(e.text)}" [${e.start}..${e.end}) ${e.kind}${e.alias ? ` (read as "${t(e.alias)}")` : ''}`);
      }
    }
    out.push(`runner-up:   ${m.runnerUp ? `${t(m.runnerUp.appName)} (${t(m.runnerUp.appId)}), ${pct(m.runnerUp.confidence)}` : 'none'}`);
  } else {
    out.push('matched:     no SaaS app');
    const r = d.rejected;
    if (r) {
      if (r.appName) out.push(`closest:     ${t(r.appName)} (${t(r.appId)}), ${pct(r.confidence)}`);
      out.push(`why not:     ${t(r.reason)}`);
      if (r.candidates?.length) out.push(`candidates:  ${r.candidates.map((c) => `${t(c.appName)} (${t(c.appId)})`).join(', ')}`);
    }
  }
  return out.join('\n') + '\n';
}

export async function explain(values, positionals, { stdout = process.stdout, stderr = process.stderr } = {}) {
  if (values.help) {
    stdout.write(EXPLAIN_HELP);
    return EXIT.OK;
  }
  if (positionals.length < 1 || positionals.length > 2 || !positionals[0].trim()) {
    throw new CliError(`explain needs a vendor name and optionally a description\n\n${EXPLAIN_HELP}`);
  }
  const [vendor, description = null] = positionals;
  const options = { connectedAt: todayUtc() };
  if (values.rules) options.rules = await readJsonFile(values.rules, 'rules file');
  if (values.catalog) options.catalog = await readJsonFile(values.catalog, 'catalog file');
  const engine = createEngine(await loadCore(), options);
  const d = engine.explain(vendor, description);
  engine.free();
  stdout.write(values.json ? JSON.stringify(d, null, 2) + '\n' : formatDecision(vendor, description, d));
  void stderr;
  return EXIT.OK;
}
