// End-to-end tests of the automation screens: headless Chromium (Debian's,
// through playwright-core) against a running stack with the run engine and
// an OpenSSH server on 127.0.0.1. Builds a job by dragging step types onto
// the canvas, runs it and watches the live log, cancels a long run, and
// checks what a viewer sees. Prints TAP; one screenshot per test.
//
// Environment: OC_TEST_URL, OC_TEST_ADMIN_USER, OC_TEST_ADMIN_PASSWORD,
// OC_TEST_OUT, OC_E2E_SSH_PORT, OC_E2E_SSH_KEY, OC_E2E_CHROMIUM.
import { chromium, request } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
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
const CHROMIUM = process.env.OC_E2E_CHROMIUM || '/usr/bin/chromium';
const run = Date.now().toString(36);
mkdirSync(OUT, { recursive: true });
const T = 30000;

const api = await request.newContext({ baseURL: URL, ignoreHTTPSErrors: true });
async function call(method, path, token, data) {
  const r = await api.fetch(path, { method, headers: token ? { Authorization: `Bearer ${token}` } : {}, data });
  const body = r.status() === 204 ? null : await r.json();
  if (!r.ok()) throw new Error(`${method} ${path}: ${r.status()} ${JSON.stringify(body)}`);
  return body;
}
const login = async (u, p) => (await call('POST', '/api/v1/auth/login', null, { username: u, password: p })).access_token;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Set-up through the API: a key credential, a target on the OpenSSH
// fixture, and a connection test so that its host key is recorded.
let admin;
let target;
let spare;
try {
  admin = await login(ADMIN, ADMIN_PW);
  const cred = await call('POST', '/api/v1/credentials', admin, {
    name: `jobs-key-${run}`,
    type: 'ssh_key',
    username: 'oc-test-key',
    private_key: SSH_KEY,
  });
  target = await call('POST', '/api/v1/targets', admin, {
    name: `jobs-ssh-${run}`,
    host: '127.0.0.1',
    port: SSH_PORT,
    os: 'linux',
    protocol: 'ssh',
    credential_id: cred.id,
    tags: [`jobs-${run}`],
  });
  const { task_id } = await call('POST', `/api/v1/targets/${target.id}/test`, admin);
  for (let i = 0; ; i++) {
    const t = await call('GET', `/api/v1/targets/tests/${task_id}`, admin);
    if (['succeeded', 'failed', 'canceled'].includes(t.state)) {
      if (!t.result?.authenticated) throw new Error(`connection test: ${JSON.stringify(t)}`);
      break;
    }
    if (i > 180) throw new Error('the connection test did not finish');
    await sleep(500);
  }
  // A job of its own for the schedule and viewer tests.
  spare = await call('POST', '/api/v1/jobs', admin, {
    name: `e2e spare ${run}`,
    targets: { targets: [target.id] },
    steps: [
      { id: 'hello', type: 'ssh.command', inputs: { command: 'echo hello' }, on_success: ['done'] },
      { id: 'done', type: 'local.noop', inputs: {} },
    ],
  });
} catch (e) {
  console.log(`Bail out! set-up failed: ${String(e.message || e).split('\n')[0]}`);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

async function signIn(page, u, p) {
  await page.goto(URL + '/');
  await page.getByLabel('Username').fill(u);
  await page.getByLabel('Password').fill(p);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: T });
}

/** Drags a step type from the palette onto the canvas at (x, y) within it. */
async function dropStep(page, type, x, y) {
  const canvas = page.getByTestId('canvas');
  await page.getByTestId(`palette-${type}`).dragTo(canvas, { targetPosition: { x, y } });
}

let jobId = null;

test('build a two-step job by dragging, save, run it and watch the live log', async (page) => {
  await signIn(page, ADMIN, ADMIN_PW);
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  await page.getByRole('link', { name: 'New job' }).click();
  await page.getByTestId('palette-ssh.command').waitFor({ timeout: T });

  await dropStep(page, 'ssh.command', 120, 80);
  await page.getByTestId('node-ssh_command').waitFor({ timeout: T });
  await dropStep(page, 'ssh.script', 160, 330);
  await page.getByTestId('node-ssh_script').waitFor({ timeout: T });

  // Link them (success, the default kind): bottom handle of the first to
  // the top handle of the second.
  const from = page.locator('[data-testid="node-ssh_command"] .react-flow__handle.source');
  const to = page.locator('[data-testid="node-ssh_script"] .react-flow__handle.target');
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.locator('.react-flow__edge').first().waitFor({ timeout: T });
  if ((await page.locator('.react-flow__edge').count()) !== 1) throw new Error('expected one link');

  // Saving without inputs or targets: the server's errors are pinned to
  // the steps they belong to, and shown at the selected step's field.
  await page.getByRole('tab', { name: 'Job' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(`e2e job ${run}`);
  await page.getByTestId('node-ssh_command').click();
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor({ timeout: T });
  await page.getByTestId('node-ssh_command').getByText(/problem/).waitFor({ timeout: T });
  await page.getByTestId('node-ssh_script').getByText(/problem/).waitFor({ timeout: T });
  if ((await page.getByTestId('input-command').getAttribute('aria-invalid')) !== 'true')
    throw new Error('no error at the command field');

  // The steps' inputs.
  await page
    .getByTestId('input-command')
    .fill('echo "hello from $(hostname)"; for i in 1 2 3; do echo "line-$i"; sleep 2; done');
  await page.getByTestId('node-ssh_script').click();
  await page.getByTestId('input-script').fill('echo second-step-done');
  await page.getByRole('tab', { name: 'Targets' }).click();
  await page.getByRole('textbox', { name: 'Enabled targets having all these tags' }).fill(`jobs-${run}`);
  await page.getByRole('textbox', { name: 'Enabled targets having all these tags' }).press('Enter');
  await page.getByTestId('target-preview-count').filter({ hasText: /^1$/ }).waitFor({ timeout: T });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved as version 1.').waitFor({ timeout: T });
  await page.waitForURL(/\/jobs\/[0-9a-f-]+\/edit$/, { timeout: T });
  jobId = page.url().split('/jobs/')[1].split('/')[0];

  // The saved definition has both steps and the success link.
  const job = await call('GET', `/api/v1/jobs/${jobId}`, admin);
  const steps = job.definition.steps;
  if (steps.length !== 2 || JSON.stringify(steps[0].on_success) !== '["ssh_script"]')
    throw new Error(`saved definition: ${JSON.stringify(steps)}`);

  await page.getByRole('button', { name: 'Run…' }).click();
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]+$/, { timeout: T });
  await page.getByTestId('live').filter({ hasText: /^live$/ }).waitFor({ timeout: T });
  const log = page.getByTestId('log');
  // Lines arrive while the step runs: line-1 shows while the step is
  // still running and before line-3 is printed (4 s later).
  await log.getByText('line-1').waitFor({ timeout: 60000 });
  const early = await page.getByTestId('node-state-ssh_command').textContent();
  const tooSoon = await log.getByText('line-3').count();
  if (early !== 'running' || tooSoon) throw new Error(`not live: step ${early}, line-3 shown ${tooSoon}`);
  await log.getByText('second-step-done').waitFor({ timeout: 60000 });
  await log.getByText('line-3').waitFor({ timeout: T });
  await page.getByTestId('node-state-ssh_script').filter({ hasText: 'succeeded' }).waitFor({ timeout: T });
  await page.getByTestId('node-state-ssh_command').filter({ hasText: 'succeeded' }).waitFor({ timeout: T });
  await page.getByTestId('state').filter({ hasText: /^succeeded$/ }).first().waitFor({ timeout: T });
  // Search finds a line.
  await page.getByLabel('Search the log').fill('line-2');
  await page.getByTestId('log-hits').filter({ hasText: '1 of 1' }).waitFor({ timeout: T });
  // A reload rebuilds the same log from history, without duplicates.
  const lines = await page.getByTestId('log-lines').textContent();
  await page.reload();
  await page.getByTestId('log').getByText('second-step-done').waitFor({ timeout: T });
  await page.getByTestId('log-lines').filter({ hasText: lines }).waitFor({ timeout: T });
});

let longRun = null;
test('a long run is canceled from its page', async (page) => {
  const job = await call('POST', '/api/v1/jobs', admin, {
    name: `e2e sleeper ${run}`,
    parameters: [
      { name: 'greeting', type: 'string', required: true, regex: '^[a-z]+$' },
      { name: 'token', type: 'secret', required: true },
    ],
    targets: { targets: [target.id] },
    steps: [
      {
        id: 'nap',
        type: 'ssh.command',
        inputs: { command: 'echo napping {{ params.greeting }} {{ params.token }}; sleep 60; echo woke' },
      },
    ],
  });
  await signIn(page, ADMIN, ADMIN_PW);
  await page.goto(`${URL}/jobs/${job.id}/run`);
  // The form comes from the job's parameters; the secret is a password box.
  const secret = `s3cret${run}`;
  await page.getByRole('textbox', { name: 'greeting' }).fill('Not Valid');
  await page.getByLabel('token').fill(secret);
  if ((await page.getByLabel('token').getAttribute('type')) !== 'password') throw new Error('the secret is not a password box');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.getByRole('textbox', { name: 'greeting' }).and(page.locator('[aria-invalid="true"]')).waitFor({ timeout: T });
  await page.getByRole('textbox', { name: 'greeting' }).fill('hi');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/\/runs\/[0-9a-f-]+$/, { timeout: T });
  longRun = page.url().split('/runs/')[1];
  // The secret is masked in the live log.
  await page.getByTestId('log').getByText('napping hi ********').waitFor({ timeout: 60000 });
  if ((await page.content()).includes(secret)) throw new Error('the secret is on the run page');
  await page.getByTestId('node-state-nap').filter({ hasText: 'running' }).waitFor({ timeout: T });
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page.getByTestId('state').filter({ hasText: /^canceled$/ }).first().waitFor({ timeout: 15000 });
  const took = Date.now() - t0;
  if (took > 10000) throw new Error(`canceled after ${took} ms`);
  const r = await call('GET', `/api/v1/runs/${longRun}`, admin);
  if (r.state !== 'canceled') throw new Error(`run state ${r.state}`);
  await page.getByRole('button', { name: 'Retry failed targets' }).waitFor({ timeout: T });
});

test('schedule editor reads the cron expression and previews fire times', async (page) => {
  await signIn(page, ADMIN, ADMIN_PW);
  await page.getByRole('link', { name: 'Schedules', exact: true }).click();
  await page.getByRole('button', { name: 'New schedule' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByRole('textbox', { name: 'Job' }).click();
  await page.getByRole('option', { name: `e2e spare ${run}` }).click();
  await dlg.getByRole('textbox', { name: 'Cron expression' }).fill('*/15 * * * *');
  await dlg.getByTestId('cron-words').filter({ hasText: 'Every 15 minutes' }).waitFor({ timeout: T });
  await dlg.getByRole('textbox', { name: 'Time zone' }).fill('Europe/Berl');
  await page.getByRole('option', { name: 'Europe/Berlin' }).click();
  await dlg.getByTestId('fire-time').nth(4).waitFor({ timeout: T });
  const first = await dlg.getByTestId('fire-time').first().textContent();
  if (!/:(00|15|30|45):00/.test(first)) throw new Error(`fire time ${first}`);
  await dlg.getByRole('textbox', { name: 'Cron expression' }).fill('61 * * * *');
  await dlg.getByTestId('cron-words').filter({ hasText: 'Not a cron expression' }).waitFor({ timeout: T });
  await dlg.getByRole('textbox', { name: 'Cron expression' }).fill('0 3 * * 1-5');
  await dlg.getByTestId('cron-words').filter({ hasText: 'At 03:00, on Monday through Friday' }).waitFor({ timeout: T });
  await dlg.getByRole('button', { name: 'Create schedule' }).click();
  await page
    .getByRole('row', { name: new RegExp(`e2e spare ${run}`) })
    .getByText('At 03:00, on Monday through Friday (Europe/Berlin)')
    .waitFor({ timeout: T });
});

test('a viewer sees jobs and runs but no create, run or cancel buttons', async (page) => {
  const username = `e2e-jobs-viewer-${run}`;
  const password = `pw-${run}-${Math.random().toString(36).slice(2)}-long`;
  await call('POST', '/api/v1/users', admin, { username, password, role: 'viewer' });
  await signIn(page, username, password);
  await page.getByRole('link', { name: 'Jobs', exact: true }).click();
  await page.getByRole('link', { name: `e2e spare ${run}` }).waitFor({ timeout: T });
  // A page that follows live events never goes network-idle: settle
  // for at most 3 s (the checks that follow only look for absence).
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
  const bad = async (where) => {
    const n = await page.getByRole('button', { name: /^(New .*|Run…|Run|Edit|Delete|Save|Cancel run|Retry failed targets|Start run|Enable)$/ }).count();
    const l = await page.getByRole('link', { name: /^New / }).count();
    if (n + l) throw new Error(`${where}: a viewer sees ${n + l} create/run button(s)`);
  };
  await bad('jobs');
  await page.goto(`${URL}/jobs/${spare.id}/edit`);
  await page.getByTestId('node-hello').waitFor({ timeout: T });
  // A page that follows live events never goes network-idle: settle
  // for at most 3 s (the checks that follow only look for absence).
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
  await bad('builder');
  if (longRun) {
    await page.goto(`${URL}/runs/${longRun}`);
    await page.getByTestId('state').filter({ hasText: /^canceled$/ }).first().waitFor({ timeout: T });
    await bad('run');
  }
  await page.goto(`${URL}/schedules`);
  await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor({ timeout: T });
  // A page that follows live events never goes network-idle: settle
  // for at most 3 s (the checks that follow only look for absence).
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
  await bad('schedules');
  if (await page.getByRole('button', { name: 'Pause', exact: true }).count()) throw new Error('a viewer can pause a schedule');
  // The run form is not there for a viewer either.
  await page.goto(`${URL}/jobs/${spare.id}/run`);
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor({ timeout: T });
});

test('the audit log shows job changes; a dynamic group previews its members', async (page) => {
  await signIn(page, ADMIN, ADMIN_PW);
  await page.getByRole('link', { name: 'Audit log', exact: true }).click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor({ timeout: T });
  await page.getByRole('textbox', { name: 'Entity id' }).fill(spare.id);
  // The filter narrows the log to the job's one entry.
  await page.getByText('1 entry', { exact: true }).waitFor({ timeout: T });
  const row = page.getByRole('row', { name: /job\.create/ });
  await row.first().waitFor({ timeout: T });
  if ((await page.getByRole('table', { name: 'Audit log' }).getByRole('row').count()) !== 2)
    throw new Error('the entity filter did not narrow the log to the one job.create row');
  await row.first().click();
  await page.getByText('After', { exact: true }).waitFor({ timeout: T });
  await page.getByText(`"e2e spare ${run}"`).first().waitFor({ timeout: T });

  await page.getByRole('link', { name: 'Groups', exact: true }).click();
  await page.getByRole('button', { name: 'New group' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByText('Dynamic: members are the targets matching a filter').click();
  await dlg.getByLabel('Has all these tags').fill(`jobs-${run}`);
  await dlg.getByLabel('Has all these tags').press('Enter');
  await dlg.getByTestId('group-preview-total').filter({ hasText: /^1$/ }).waitFor({ timeout: T });
  await dlg.getByRole('cell', { name: `jobs-ssh-${run}` }).waitFor({ timeout: T });
  await dlg.getByLabel('Has all these tags').fill('no-such-tag-at-all');
  await dlg.getByLabel('Has all these tags').press('Enter');
  await dlg.getByTestId('group-preview-total').filter({ hasText: /^0$/ }).waitFor({ timeout: T });
});

test('the log view holds 100,000 lines and follows the tail', async (page) => {
  const job = await call('POST', '/api/v1/jobs', admin, {
    name: `e2e chatty ${run}`,
    targets: { targets: [target.id] },
    steps: [{ id: 'count', type: 'ssh.command', inputs: { command: 'seq -f "row %g" 1 100000' } }],
  });
  const r = await call('POST', `/api/v1/jobs/${job.id}/runs`, admin, { params: {} });
  await signIn(page, ADMIN, ADMIN_PW);
  await page.goto(`${URL}/runs/${r.id}`);
  await page.getByTestId('log-lines').filter({ hasText: /^100000 lines$/ }).waitFor({ timeout: 90000 });
  // Following the tail: the last line is on screen, the first is not in the DOM.
  await page.getByTestId('log').getByText('row 100000', { exact: true }).waitFor({ timeout: T });
  if (await page.getByTestId('log').getByText('row 1', { exact: true }).count()) throw new Error('the log is not virtualised');
  // Search over all of them stays quick.
  const t0 = Date.now();
  await page.getByLabel('Search the log').fill('row 5000');
  await page.getByTestId('log-hits').filter({ hasText: /of 11$/ }).waitFor({ timeout: T });
  const took = Date.now() - t0;
  if (took > 5000) throw new Error(`search took ${took} ms`);
  await page.getByTestId('log').getByText('row 5000', { exact: true }).waitFor({ timeout: T });
});

test('the dashboard shows run counts, the chart and recent failures', async (page) => {
  // One failing run so that there is a recent failure.
  const job = await call('POST', '/api/v1/jobs', admin, {
    name: `e2e failing ${run}`,
    targets: { targets: [target.id] },
    steps: [{ id: 'fail', type: 'ssh.command', inputs: { command: 'exit 3' } }],
  });
  const r = await call('POST', `/api/v1/jobs/${job.id}/runs`, admin, { params: {} });
  for (let i = 0; ; i++) {
    const x = await call('GET', `/api/v1/runs/${r.id}`, admin);
    if (x.state === 'failed') break;
    if (i > 120) throw new Error(`the failing run is ${x.state}`);
    await sleep(500);
  }
  await signIn(page, ADMIN, ADMIN_PW);
  await page.getByTestId('run-chart').waitFor({ timeout: T });
  await page.getByTestId('stat-Success').filter({ hasText: /^\d+ %$/ }).waitFor({ timeout: T });
  await page.getByTestId('stat-Running').filter({ hasText: /^\d+$/ }).waitFor({ timeout: T });
  await page.getByRole('link', { name: `e2e failing ${run}` }).waitFor({ timeout: T });
  if ((await page.getByTestId('run-chart').locator('rect').count()) < 1) throw new Error('the chart has no bars');
});

console.log(`1..${tests.length}`);
let failed = 0;
for (const [i, t] of tests.entries()) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1600, height: 1000 } });
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
  const shot = join(OUT, `web-e2e-jobs-${i + 1}.png`);
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
