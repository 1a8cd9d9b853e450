// Small HTTP helpers for tests that talk to the emulator (plain fetch, no host code), so emulator
// tests do not depend on the host's client and host tests can cross-check against it.

export const BC_SCOPE = 'https://api.businesscentral.dynamics.com/.default';

export async function requestToken(emu, params, tenant = emu.tenantId) {
  const res = await fetch(`${emu.authorityHost}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params),
  });
  const text = await res.text();
  let body; try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, headers: res.headers, body };
}

export function clientCredentials(creds) {
  return { grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret, scope: BC_SCOPE };
}

export async function tokenFor(emu, scenario = 'valid') {
  const creds = emu.scenarios[scenario];
  const r = await requestToken(emu, clientCredentials(creds), creds.tenantId);
  if (r.status !== 200) throw new Error(`token for ${scenario}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

export function apiBase(emu, { tenant = true, automation = false, environment = emu.environment } = {}) {
  return `${emu.apiHost}/v2.0/${tenant ? `${emu.tenantId}/` : ''}${environment}/api/${automation ? 'microsoft/automation/v2.0' : 'v2.0'}`;
}

export async function bcGet(url, { token, headers = {} } = {}) {
  const res = await fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'accept-language': 'en-US', ...headers } });
  const text = await res.text();
  let body; try { body = JSON.parse(text); } catch { body = undefined; }
  return { status: res.status, headers: res.headers, body, text };
}

// Follow @odata.nextLink verbatim; returns every row and every page's size.
export async function followAll(url, { token, maxPageSize } = {}) {
  const rows = []; const pages = []; let next = url; let first = true;
  const headers = maxPageSize ? { prefer: `odata.maxpagesize=${maxPageSize}` } : {};
  while (next) {
    const r = await bcGet(next, { token, headers });
    if (r.status !== 200) throw new Error(`GET ${next}: ${r.status} ${r.text.slice(0, 300)}`);
    rows.push(...r.body.value);
    pages.push({ size: r.body.value.length, nextLink: r.body['@odata.nextLink'], preferenceApplied: r.headers.get('preference-applied') });
    if (first) first = false;
    next = r.body['@odata.nextLink'];
  }
  return { rows, pages };
}
