// End-to-end tests of the web UI: headless Chromium (Debian's, through
// playwright-core) against a running stack over HTTPS. Prints TAP; one
// screenshot per test of its last screen in $OC_TEST_OUT.
//
// Environment: OC_TEST_URL, OC_TEST_ADMIN_USER, OC_TEST_ADMIN_PASSWORD,
// OC_TEST_OUT, OC_E2E_SSH_PORT and OC_E2E_SSH_KEY (an OpenSSH server on
// 127.0.0.1 and the private key of its user oc-test-key), OC_E2E_CHROMIUM.
import { chromium, request } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { readFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const env = (k) => {
  const v = process.env[k];
  if (!v) {
    console.log(`Bail out! ${k} is not set (run through make check)`);
    process.exit(1);
  }
  return v;
};
const URL = env('OC_TEST_URL');
const ADMIN = env('OC_TEST_ADMIN_USER');
const ADMIN_PW = env('OC_TEST_ADMIN_PASSWORD');
const OUT = env('OC_TEST_OUT');
const SSH_PORT = Number(env('OC_E2E_SSH_PORT'));
const SSH_KEY = readFileSync(env('OC_E2E_SSH_KEY'), 'utf8');
// sshd.sh and the fixture's directory, to give the server new host keys.
const SSHD_SH = process.env.OC_E2E_SSHD_SH;
const SSHD_DIR = process.env.OC_E2E_SSHD_DIR;
const CHROMIUM = process.env.OC_E2E_CHROMIUM || '/usr/bin/chromium';
const run = Date.now().toString(36);
mkdirSync(OUT, { recursive: true });

// RFC 6238 codes (SHA-1, 6 digits, 30 s) from a base32 secret.
function totp(secret, step) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alpha.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', key).update(msg).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}
const nowStep = () => Math.floor(Date.now() / 1000 / 30);

// The API directly, for setting up users.
const api = await request.newContext({ baseURL: URL, ignoreHTTPSErrors: true });
async function call(method, path, token, data) {
  const r = await api.fetch(path, {
    method,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    data,
  });
  const body = r.status() === 204 ? null : await r.json();
  if (!r.ok()) throw new Error(`${method} ${path}: ${r.status()} ${JSON.stringify(body)}`);
  return body;
}
const login = async (u, p) => (await call('POST', '/api/v1/auth/login', null, { username: u, password: p })).access_token;
const adminToken = await login(ADMIN, ADMIN_PW);
async function newUser(role) {
  const username = `e2e-${role}-${run}`.toLowerCase();
  const password = `pw-${run}-${Math.random().toString(36).slice(2)}-long`;
  await call('POST', '/api/v1/users', adminToken, { username, password, role });
  return { username, password };
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
const T = 30000;

async function signIn(page, u, p) {
  await page.goto(URL + '/');
  await page.getByLabel('Username').fill(u);
  await page.getByLabel('Password').fill(p);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function pick(page, label, option) {
  await page.getByRole('textbox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option }).click();
}

test('sign in, reload keeps the session, sign out', async (page) => {
  await signIn(page, ADMIN, ADMIN_PW);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: T });
  await page.getByTestId('health-status').filter({ hasText: 'ok' }).waitFor({ timeout: T });
  await page.getByTestId('stat-Targets').filter({ hasText: /^\d+$/ }).waitFor({ timeout: T });
  // The access token lives in memory only; a reload signs in again
  // through the refresh cookie.
  const stored = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage));
  if (stored.includes('eyJ')) throw new Error('a token is kept in web storage');
  await page.reload();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: T });
  await page.getByTestId('account').click();
  await page.getByRole('menuitem', { name: 'Sign out', exact: true }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: T });
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: T });
});

test('a wrong password is shown in words', async (page) => {
  await signIn(page, ADMIN, 'not-the-password');
  await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor({ timeout: T });
});

test('sign in with a TOTP code', async (page) => {
  const u = await newUser('operator');
  const tok = await login(u.username, u.password);
  const { secret } = await call('POST', '/api/v1/me/totp', tok);
  // Enrol with the previous step's code so that the current one is
  // still unused for the sign-in.
  await call('POST', '/api/v1/me/totp/verify', tok, { code: totp(secret, nowStep() - 1) });
  await signIn(page, u.username, u.password);
  await page.getByLabel('One-time code').fill('000000' === totp(secret, nowStep()) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').filter({ hasText: /code/i }).waitFor({ timeout: T });
  await page.getByLabel('One-time code').fill(totp(secret, nowStep()));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: T });
});

test('create a credential and a target, test the connection over SSH', async (page) => {
  await signIn(page, ADMIN, ADMIN_PW);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: T });
  await page.getByRole('link', { name: 'Credentials', exact: true }).click();
  await page.getByRole('button', { name: 'New credential' }).click();
  const cred = `e2e-key-${run}`;
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(cred);
  await pick(page, 'Type', 'SSH key');
  await page.getByLabel('User name').fill('oc-test-key');
  await page.getByLabel('Private key (OpenSSH or PEM)').fill(SSH_KEY);
  await page.getByRole('button', { name: 'Create credential' }).click();
  await page.getByRole('cell', { name: cred }).waitFor({ timeout: T });

  await page.getByRole('link', { name: 'Targets', exact: true }).click();
  await page.getByRole('button', { name: 'New target' }).click();
  const dlg = page.getByRole('dialog');
  // A field error from the API appears at its field.
  await dlg.getByRole('textbox', { name: 'Name', exact: true }).fill(`e2e-${run}`);
  await dlg.getByLabel('Host (name or address)').fill('not a host');
  await dlg.getByRole('button', { name: 'Create target' }).click();
  await dlg.getByText('is not a valid host name', { exact: false }).waitFor({ timeout: T });
  await dlg.getByLabel('Host (name or address)').fill('127.0.0.1');
  await dlg.getByLabel(/^Port/).fill(String(SSH_PORT));
  await pick(page, 'Credential', new RegExp(cred));
  await dlg.getByLabel('Tags').fill('e2e');
  await dlg.getByLabel('Tags').press('Enter');
  await dlg.getByRole('button', { name: 'Create target' }).click();
  const drawer = page.getByRole('dialog', { name: 'Target' });
  await drawer.getByRole('heading', { name: `e2e-${run}` }).waitFor({ timeout: T });
  await drawer.getByRole('button', { name: 'Test connection' }).click();
  await drawer.getByTestId('test-result').filter({ hasText: /Reachable, signed in/ }).waitFor({ timeout: 90000 });
  await drawer.getByText('reachable', { exact: true }).waitFor({ timeout: T });
});

test('a changed host key blocks the target until it is accepted', async (page) => {
  if (!SSHD_SH || !SSHD_DIR) throw new Error('OC_E2E_SSHD_SH and OC_E2E_SSHD_DIR are not set');
  execFileSync(SSHD_SH, ['rekey', SSHD_DIR], { stdio: 'ignore' });
  await signIn(page, ADMIN, ADMIN_PW);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: T });
  await page.getByRole('link', { name: 'Targets', exact: true }).click();
  await page.getByLabel('Search').fill(`e2e-${run}`);
  await page.getByTestId('targets-total').filter({ hasText: /^1 target$/ }).waitFor({ timeout: T });
  await page.getByRole('button', { name: `e2e-${run}` }).click();
  const drawer = page.getByRole('dialog', { name: 'Target' });
  await drawer.getByRole('button', { name: 'Test connection' }).click();
  await drawer.getByTestId('test-result').filter({ hasText: /host key/i }).waitFor({ timeout: 90000 });
  await drawer.getByText('The host key changed').waitFor({ timeout: T });
  await drawer.getByRole('button', { name: 'Accept the new host key' }).click();
  await drawer.getByTestId('test-result').filter({ hasText: /accepted/ }).waitFor({ timeout: T });
  await drawer.getByRole('button', { name: 'Test connection' }).click();
  await drawer.getByTestId('test-result').filter({ hasText: /Reachable, signed in/ }).waitFor({ timeout: 90000 });
});

test('a viewer sees no create or edit buttons', async (page) => {
  const u = await newUser('viewer');
  await signIn(page, u.username, u.password);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: T });
  if (await page.getByRole('link', { name: 'Users' }).count()) throw new Error('a viewer sees Users');
  for (const [path, heading] of [
    ['/targets', 'Targets'],
    ['/credentials', 'Credentials'],
    ['/groups', 'Groups'],
    ['/discovery', 'Discovery'],
  ]) {
    await page.goto(URL + path);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor({ timeout: T });
    // A page that follows live events never goes network-idle: settle
    // for at most 3 s (the checks that follow only look for absence).
    await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
    const n = await page.getByRole('button', { name: /^(New |Import|Edit|Delete|Start scan)/ }).count();
    if (n) throw new Error(`${path}: a viewer sees ${n} create/edit button(s)`);
  }
  await page.goto(URL + '/targets');
  await page.getByTestId('targets-total').filter({ hasText: /\d+ target/ }).waitFor({ timeout: T });
});

console.log(`1..${tests.length}`);
let failed = 0;
for (const [i, t] of tests.entries()) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(T);
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) errors.push(m.text());
  });
  let err = null;
  try {
    await t.fn(page);
    if (errors.length) throw new Error(errors.join('\n'));
  } catch (e) {
    err = e;
  }
  const shot = join(OUT, `web-e2e-${i + 1}.png`);
  await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  await ctx.close();
  if (err) {
    failed++;
    console.log(`not ok ${i + 1} - ${t.name}`);
    for (const l of String(err.stack || err).split('\n').slice(0, 12)) console.log(`# ${l}`);
  } else {
    console.log(`ok ${i + 1} - ${t.name}`);
  }
  console.log(`# screenshot: ${shot}`);
}
await browser.close();
await api.dispose();
process.exit(failed ? 1 : 0);
