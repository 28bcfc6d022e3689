// make bench, web part: the gzipped size of the initial JavaScript and of
// the job builder's chunks, and the time to interactive of the dashboard,
// the job builder and of a 10,000-target list in
// headless Chromium through nginx. Seeds the targets through the import
// API. Environment: OC_TEST_URL, OC_TEST_ADMIN_USER, OC_TEST_ADMIN_PASSWORD,
// OC_E2E_CHROMIUM, OC_BENCH_TARGETS (10000), OC_BENCH_RUNS (3).
import { chromium, request } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const URL = process.env.OC_TEST_URL;
const USER = process.env.OC_TEST_ADMIN_USER;
const PW = process.env.OC_TEST_ADMIN_PASSWORD;
const N = Number(process.env.OC_BENCH_TARGETS || 10000);
const RUNS = Number(process.env.OC_BENCH_RUNS || 3);
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

// The initial JavaScript: the entry script and what index.html preloads.
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
let gz = 0;
for (const f of initial) gz += gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
console.log(`initial JavaScript: ${initial.join(', ')}: ${(gz / 1024).toFixed(1)} KiB gzipped`);

const api = await request.newContext({ baseURL: URL, ignoreHTTPSErrors: true });
const tok = (await (await api.post('/api/v1/auth/login', { data: { username: USER, password: PW } })).json()).access_token;
const H = { Authorization: `Bearer ${tok}` };
const have = (await (await api.get('/api/v1/targets?limit=1', { headers: H })).json()).total;
// Bodies are at most 64 KiB: 1,000 rows at a time.
for (let i = have; i < N; i += 1000) {
  const rows = ['name,host,os,tags'];
  for (let j = i; j < Math.min(N, i + 1000); j++)
    rows.push(`bench-${String(j).padStart(5, '0')},10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255},linux,bench`);
  const r = await api.post('/api/v1/targets/import', {
    headers: { ...H, 'Content-Type': 'text/csv' },
    data: rows.join('\n') + '\n',
  });
  if (r.status() !== 201) throw new Error(`import: ${r.status()} ${await r.text()}`);
}
console.log(`targets: ${N}`);

const browser = await chromium.launch({
  executablePath: process.env.OC_E2E_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
const page = await ctx.newPage();
await page.goto(URL + '/');
await page.getByLabel('Username').fill(USER);
await page.getByLabel('Password').fill(PW);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

// A fresh page load each time (the session comes back through the
// refresh cookie), timed until the screen shows its data.
async function tti(path, ready) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = Date.now();
    await page.goto(URL + path, { waitUntil: 'commit' });
    await ready();
    times.push(Date.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
const dash = await tti('/', () => page.getByTestId('stat-Targets').filter({ hasText: /^\d+$/ }).waitFor());
console.log(`time to interactive, dashboard: ${dash} ms (median of ${RUNS})`);
const list = await tti('/targets', async () => {
  await page.getByTestId('targets-total').filter({ hasText: /\d+ targets/ }).waitFor();
  await page.getByRole('row').nth(2).getByRole('button').first().waitFor();
});
console.log(`time to interactive, ${N}-target list: ${list} ms (median of ${RUNS})`);
// Scrolling to the end loads only the pages that come into view.
const t0 = Date.now();
await page.getByTestId('targets-scroller').evaluate((e) => e.scrollTo(0, e.scrollHeight));
await page.getByRole('button', { name: `bench-${String(N - 1).padStart(5, '0')}` }).waitFor();
console.log(`scroll to the last of ${N} targets: ${Date.now() - t0} ms`);

// The visual job builder is its own chunk (with @xyflow/react): what a
// fresh load of /jobs/new fetches beyond the initial JavaScript, gzipped,
// and the time until its palette of step types is shown.
const fetched = new Set();
page.on('response', (r) => {
  const m = /\/(assets\/[^?]+\.(?:js|css))$/.exec(r.url());
  if (m) fetched.add(m[1]);
});
const builder = await tti('/jobs/new', () => page.getByTestId('palette-ssh.command').waitFor());
const lazy = [...fetched].filter((f) => !initial.includes(f) && !f.endsWith('.css') && !/index-[^/]+\.css$/.test(f));
const css = [...fetched].filter((f) => f.endsWith('.css') && !html.includes(f));
let lazyGz = 0;
for (const f of lazy) lazyGz += gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
let cssGz = 0;
for (const f of css) cssGz += gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
console.log(`job builder chunks: ${lazy.length} JavaScript file(s), ${(lazyGz / 1024).toFixed(1)} KiB gzipped (+ ${(cssGz / 1024).toFixed(1)} KiB CSS)`);
console.log(`time to interactive, job builder: ${builder} ms (median of ${RUNS})`);
await browser.close();
await api.dispose();
