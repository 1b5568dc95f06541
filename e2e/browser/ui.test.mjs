// Browser end-to-end test: drives the real Temporal UI served by
// `drillbook dev --sandbox` in Debian's Chromium, the way an operator does.
//
//  1. Start Workflow form -> ReliabilityAudit `{}`. The remediation steps it
//     gates are approved with the `approve` Signal from the UI (dry runs: the
//     run is not started with apply). Waits for Completed, then checks the
//     Result the UI shows: "status": "succeeded" and the report paths (the
//     report file exists with the size the result gives).
//  2. Start Workflow form -> RunRunbook `{"runbook": "gate"}`, a runbook with an
//     approval=required shell step, from dev's --runbooks dir. Waits until the
//     step waits for approval (the Queries tab's `progress`), approves it with
//     the `approve` Signal from the UI, checks the run completes and the
//     approval is recorded (the Queries tab and `drillbook status --json`).
//
// Run: cd e2e/browser && npm ci && npm test (.ci/run does). Screenshots of
// every stage go to <repo>/artifacts/ui/NN-*.png, with dev.log, the output of
// `drillbook dev`; a failure adds a FAILED screenshot and dev's output to the
// error. Environment:
//   DRILLBOOK_BIN       use this binary instead of building ./cmd/drillbook
//   CHROMIUM            browser executable (default /usr/bin/chromium)
//   E2E_RUN_TIMEOUT_MS  how long a run may take to complete (default 5 min)
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const execFileP = promisify(execFile);

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = path.join(REPO, 'artifacts', 'ui');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const RUN_TIMEOUT = Number(process.env.E2E_RUN_TIMEOUT_MS || 5 * 60_000);
const UI_TIMEOUT = 30_000; // one UI action or element
const POLL = 2_000; // between two looks at a run

// The runbook of part 2: a shell step behind an approval gate.
const GATE_RUNBOOK = `---
id: gate
title: Gated change (browser end-to-end test)
---
# Gated change

A harmless change behind an approval gate, started from the Temporal UI by the
browser test and approved there with the \`approve\` signal.

## Prepare

\`\`\`sh {id=prepare timeout=1m}
echo "prepared_by=browser-test" >> "$DRILLBOOK_OUTPUT"
\`\`\`

## Make the change

The operator approves this step in the UI before it runs.

\`\`\`sh {id=change approval=required timeout=1m}
echo "the gated change ran"
echo "changed=yes" >> "$DRILLBOOK_OUTPUT"
\`\`\`
`;

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const uniqueId = (prefix) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/** An error that stops waitUntil at once. */
class Fatal extends Error {}

/**
 * Polls fn until it returns a truthy value or timeoutMs passes. Errors are
 * retried (the last one is reported) except Fatal ones.
 */
async function waitUntil(what, timeoutMs, fn) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    dev?.assertAlive();
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      if (err instanceof Fatal) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}` +
        (last ? `; last error: ${last.message}` : ''));
    }
    await sleep(POLL);
  }
}

/** Environment without anything that could point the test at real systems. */
function hermeticEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  for (const k of Object.keys(env)) {
    if (k.startsWith('TEMPORAL_') || k === 'DATABASE_URL' || k.startsWith('FLY_')) delete env[k];
  }
  env.PATH = `${env.PATH || ''}:/usr/local/go/bin`;
  return env;
}

/** The drillbook binary: DRILLBOOK_BIN, or built from the repository. */
async function drillbookBinary(tmp) {
  if (process.env.DRILLBOOK_BIN) {
    fs.accessSync(process.env.DRILLBOOK_BIN, fs.constants.X_OK);
    return process.env.DRILLBOOK_BIN;
  }
  const bin = path.join(tmp, 'drillbook');
  try {
    await execFileP('go', ['build', '-o', bin, './cmd/drillbook'],
      { cwd: REPO, env: hermeticEnv(), timeout: 10 * 60_000, maxBuffer: 16 << 20 });
  } catch (err) {
    throw new Error(`go build ./cmd/drillbook failed:\n${err.stderr || err.message}`);
  }
  return bin;
}

/** A running `drillbook dev`, its addresses and its output. */
class Dev {
  constructor(bin, args, logFile) {
    this.bin = bin;
    this.output = '';
    this.exited = null;
    this.log = fs.createWriteStream(logFile);
    this.proc = spawn(bin, ['dev', ...args], { env: hermeticEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (buf) => {
      const s = buf.toString();
      this.output += s;
      this.log.write(s);
    };
    this.proc.stdout.on('data', onData);
    this.proc.stderr.on('data', onData);
    this.done = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      });
    });
    this.killOnExit = () => this.proc.kill('SIGKILL');
    process.on('exit', this.killOnExit);
  }

  /** Waits for the `Temporal server` and `Temporal UI` lines. */
  async ready(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const server = this.output.match(/^Temporal server\s+(\S+)/m);
      const ui = this.output.match(/^Temporal UI\s+(\S+)/m);
      if (server && ui && /^Ctrl-C to stop\./m.test(this.output)) {
        this.address = server[1];
        this.ui = ui[1].replace(/\/$/, '');
        return;
      }
      this.assertAlive();
      await sleep(100);
    }
    throw new Error(`drillbook dev did not print its addresses within ${timeoutMs / 1000}s`);
  }

  assertAlive() {
    if (this.exited) {
      throw new Error(`drillbook dev exited (code ${this.exited.code}, signal ${this.exited.signal})`);
    }
  }

  tail(lines = 150) {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  /** SIGINT (a clean shutdown), SIGKILL after 20 s. */
  async stop() {
    process.off('exit', this.killOnExit);
    if (!this.exited) {
      this.proc.kill('SIGINT');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 20_000);
      await this.done;
      clearTimeout(t);
    }
    await new Promise((r) => this.log.end(r));
  }

  /** `drillbook status ID --json`: the run's progress query. */
  async status(id) {
    const { stdout } = await execFileP(this.bin, ['status', id, '--address', this.address, '--json'],
      { env: hermeticEnv(), timeout: 30_000, maxBuffer: 16 << 20 });
    return JSON.parse(stdout);
  }
}

let dev; // the one drillbook dev of this file
let browser;
let tmp;
let shot = 0;
let failed = false; // keep the state and artifacts dirs for a look

/** A viewport screenshot into artifacts/ui/NN-name.png. */
async function screenshot(page, name) {
  const file = path.join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Runs a test body; on failure adds a screenshot and dev's output to the error. */
async function withEvidence(name, body) {
  // Clipboard access: the full Result is read through the UI's copy button.
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 }, permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  try {
    await body(page);
  } catch (err) {
    failed = true;
    let shotFile = '(no screenshot)';
    try {
      shotFile = await screenshot(page, `FAILED-${name}`);
    } catch { /* the page may be gone */ }
    err.message += `\n\nscreenshot: ${shotFile}\npage: ${page.url()}` +
      (pageErrors.length ? `\nbrowser errors:\n  ${pageErrors.slice(-10).join('\n  ')}` : '') +
      `\n\n----- drillbook dev output (last 150 lines; all of it in ${path.join(SHOTS, 'dev.log')}) -----\n${dev?.tail()}`;
    throw err;
  } finally {
    await context.close();
  }
}

/** The one visible element with this data-testid (the UI renders some twice). */
const byTestId = (scope, id) => scope.locator(`[data-testid="${id}"]:visible`);

/** Replaces the text of a CodeMirror editor (the UI's JSON fields). */
async function typeIntoEditor(page, editor, text) {
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text); // no auto-closing of brackets and quotes
  // The UI re-formats the JSON when the editor loses focus, which moves the
  // buttons below it: blur it now, not with the click on the button.
  await editor.evaluate((e) => e.blur());
  const got = (await editor.innerText()).replace(/\s+/g, '');
  assert.equal(got, text.replace(/\s+/g, ''), 'the editor holds the JSON typed into it');
}

/** Fills and submits the Start Workflow form. */
async function startWorkflow(page, { id, type, input, label }) {
  await page.goto(`${dev.ui}/namespaces/default/workflows/start-workflow`);
  await page.locator('input#workflowId').fill(id);
  await page.locator('input#taskQueue').fill('drillbook');
  await page.locator('input#workflowType').fill(type);
  // The UI looks up the task queue's pollers: our worker must be there.
  await page.getByText('Task Queue is Active').waitFor();
  await typeIntoEditor(page, page.getByRole('textbox', { name: 'Data' }), input);
  await screenshot(page, `${label}-start-form`);
  await byTestId(page, 'start-workflow-button').click();
  await page.getByRole('link', { name: 'Workflow started successfully' }).waitFor();
  await screenshot(page, `${label}-started`);
}

/** Opens the workflow's page; returns its status badge text (RUNNING, COMPLETED...). */
async function openWorkflow(page, id) {
  await page.goto(`${dev.ui}/namespaces/default/workflows/${encodeURIComponent(id)}`);
  const badge = byTestId(page, 'execution-status');
  await badge.waitFor();
  await byTestId(page, 'workflow-id-heading').filter({ hasText: id }).waitFor();
  return (await badge.innerText()).trim().toUpperCase();
}

/** Sends a Signal from the open workflow page: More Actions -> Send a Signal. */
async function sendSignal(page, name, payload, label) {
  await page.locator('button:visible', { hasText: 'More Actions' }).click();
  await byTestId(page, 'signal-button').click();
  const modal = byTestId(page, 'signal-confirmation-modal');
  await modal.waitFor();
  await modal.getByTestId('signal-select-button').click();
  await modal.getByRole('option', { name, exact: true }).click();
  await typeIntoEditor(page, modal.getByRole('textbox', { name: 'Data' }), JSON.stringify(payload));
  await screenshot(page, `${label}-signal-form`);
  await modal.getByTestId('confirm-modal-button').click();
  await page.getByText('Workflow signaled.').first().waitFor();
  await modal.waitFor({ state: 'hidden' });
  await screenshot(page, `${label}-signaled`);
}

/**
 * Runs the `progress` query in the Queries tab and waits until its result
 * matches re. JSON formatting is turned off first: the result is then one
 * line, which the editor renders whole (a formatted result is rendered only
 * as far as it is in view).
 */
async function progressInUI(page, what, re) {
  await byTestId(page, 'queries-tab').click();
  const queryType = byTestId(page, 'query-select');
  await waitUntil('the Queries tab to offer the progress query', UI_TIMEOUT,
    async () => (await queryType.inputValue()) === 'progress');
  const formatting = page.locator('#json-formatting:visible');
  if (await formatting.isChecked()) await page.getByText('JSON Formatting').click();
  await waitUntil('JSON formatting off', UI_TIMEOUT, async () => !(await formatting.isChecked()));
  const result = page.getByRole('textbox', { name: 'Query Result' });
  await waitUntil(`the progress query in the UI to show ${what}`, UI_TIMEOUT, async () => {
    await page.getByRole('button', { name: /Run Query|Refresh Query/ }).click();
    const text = await result.textContent();
    if (!text.includes('"workflow_id"')) return false;
    if (!re.test(text)) throw new Error(`progress shown: ${text.slice(0, 4000)}`);
    return true;
  });
  return result;
}

/**
 * The Result of a closed run as the UI shows it: the box is maximised (and
 * screenshot as name) and its text returned as shown; the whole JSON is read
 * through the box's copy button, since the editor renders only what is in
 * view.
 */
async function resultInUI(page, name) {
  const section = byTestId(page, 'input-and-result');
  await section.getByRole('textbox', { name: 'Result' }).waitFor();
  await section.getByRole('button', { name: 'Maximize' }).last().click();
  const minimize = page.getByRole('button', { name: 'Minimize' }).first();
  await minimize.waitFor();
  const shown = await page.locator('[role="textbox"][aria-label="Result"]:visible').last().innerText();
  await screenshot(page, name);
  await minimize.click();

  await page.evaluate(() => navigator.clipboard.writeText(''));
  await section.locator('[data-track-name="copyable-button"]').last().click();
  const copied = await waitUntil('the Result on the clipboard', UI_TIMEOUT,
    () => page.evaluate(() => navigator.clipboard.readText()));
  try {
    return { shown, json: JSON.parse(copied) };
  } catch (err) {
    throw new Error(`the Result copied from the UI is not JSON (${err.message}):\n${copied}`);
  }
}

/**
 * Waits until the run is no longer RUNNING in the UI, approving each step that
 * waits for approval with the `approve` Signal from the UI. A step waiting for
 * anything else (a decision, a manual step) fails the test.
 */
async function driveToEnd(page, id, label) {
  const approved = new Set();
  const deadline = Date.now() + RUN_TIMEOUT;
  let tookRunning = false;
  let lastStatusError;
  for (;;) {
    dev.assertAlive();
    const state = await openWorkflow(page, id);
    if (state !== 'RUNNING') return state;
    if (!tookRunning) {
      await screenshot(page, `${label}-running`);
      tookRunning = true;
    }
    let p;
    try {
      p = await dev.status(id);
    } catch (err) {
      lastStatusError = err; // e.g. a query that timed out on a busy machine: look again
    }
    for (const s of p?.steps ?? []) {
      if (s.status === 'waiting-approval' && !approved.has(s.id)) {
        await sendSignal(page, 'approve', { step: s.id, by: 'browser-test' }, `${label}-approve-${s.id}`);
        approved.add(s.id);
        await waitUntil(`step ${s.id} to leave waiting-approval after the UI's signal`, 60_000, async () =>
          (await dev.status(id)).steps.find((x) => x.id === s.id).status !== 'waiting-approval');
      } else if (s.status === 'waiting-decision' || s.status === 'waiting-manual') {
        throw new Error(`step ${s.id} is ${s.status}${s.error ? `: ${s.error}` : ''}; this test only approves`);
      }
    }
    if (Date.now() > deadline) {
      const steps = p ? p.steps.map((s) => `  ${s.id}: ${s.status}${s.error ? ` (${s.error})` : ''}`).join('\n')
        : `  (no progress: ${lastStatusError?.message})`;
      throw new Error(`run ${id} still RUNNING after ${RUN_TIMEOUT / 1000}s; its steps:\n${steps}`);
    }
    await sleep(POLL);
  }
}

const failedSteps = (p) => p.steps.filter((s) => s.status === 'failed')
  .map((s) => `  step ${s.id} failed: ${s.error || s.note || '?'}`).join('\n');
const stepSummary = (p) => p.steps.map((s) => `${s.id}=${s.status}`).join(' ');

// ---------------------------------------------------------------- the tests

describe('Temporal UI of drillbook dev --sandbox in Chromium', { timeout: 25 * 60_000 }, () => {
  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const f of fs.readdirSync(SHOTS)) {
      if (/^\d\d-.*\.png$/.test(f)) fs.rmSync(path.join(SHOTS, f));
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drillbook-browser-'));
    const runbooks = path.join(tmp, 'runbooks');
    fs.mkdirSync(runbooks);
    fs.writeFileSync(path.join(runbooks, 'gate.md'), GATE_RUNBOOK);

    const bin = await drillbookBinary(tmp);
    dev = new Dev(bin, [
      '--sandbox', '--state-dir', path.join(tmp, 'state'), '--port', '0', '--ui-port', '0',
      '--artifacts', path.join(tmp, 'artifacts'), '--runbooks', runbooks,
    ], path.join(SHOTS, 'dev.log'));
    try {
      await dev.ready(180_000); // --sandbox also starts and seeds a PostgreSQL cluster
    } catch (err) {
      err.message += `\n----- drillbook dev output -----\n${dev.tail()}`;
      throw err;
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM, // never a Playwright-downloaded browser
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      timeout: 60_000,
    }); // a fresh temporary user-data-dir, removed on close
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await dev?.stop();
    if (tmp && failed) console.error(`# kept drillbook dev's state and artifacts in ${tmp}`);
    else if (tmp) fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  });

  test('ReliabilityAudit {} started from the Start Workflow form completes and shows its result', async (t) => {
    await withEvidence('audit', async (page) => {
      const id = uniqueId('browser-audit');
      const started = Date.now();
      await startWorkflow(page, { id, type: 'ReliabilityAudit', input: '{}', label: 'audit' });

      const state = await driveToEnd(page, id, 'audit');
      const p = await dev.status(id);
      t.diagnostic(`audit ${id}: ${state} after ${Math.round((Date.now() - started) / 1000)}s; ${stepSummary(p)}`);
      assert.equal(state, 'COMPLETED', `the run ended ${state}: ${p.error || ''}\n${failedSteps(p)}`);

      await screenshot(page, 'audit-completed');
      const { shown, json } = await resultInUI(page, 'audit-completed-result');
      assert.match(shown, /"status": "succeeded"/, 'the UI shows the result with "status": "succeeded"');
      assert.equal(json.workflow_id, id);
      assert.equal(json.runbook, 'reliability-audit');
      const md = json.report?.markdown?.path;
      assert.equal(md, `reports/${id}/report.md`, 'the result names the Markdown report');
      assert.ok(shown.includes(`"path": "${md}"`), 'the UI shows the report path');
      assert.equal(json.report?.html?.path, `reports/${id}/report.html`, 'the result names the HTML report');
      const report = fs.readFileSync(path.join(tmp, 'artifacts', md), 'utf8');
      assert.ok(report.length > 0 && json.report.markdown.bytes === Buffer.byteLength(report),
        'the report file is there, with the size the result says');

      // Every remediation step the audit gated was approved from the UI.
      for (const s of p.steps.filter((x) => x.approval)) {
        assert.deepEqual([s.approval.approved, s.approval.by], [true, 'browser-test'], `approval of ${s.id}`);
      }
    });
  });

  test('a gated step of RunRunbook is approved with a Signal from the UI', async (t) => {
    await withEvidence('gate', async (page) => {
      const id = uniqueId('browser-gate');
      await startWorkflow(page, { id, type: 'RunRunbook', input: '{"runbook": "gate"}', label: 'gate' });

      const waiting = await waitUntil('step "change" to wait for approval', RUN_TIMEOUT, async () => {
        const p = await dev.status(id);
        if (p.status !== 'running') throw new Fatal(`run is ${p.status}: ${p.error || stepSummary(p)}`);
        const change = p.steps.find((s) => s.id === 'change');
        return change?.status === 'waiting-approval' && change;
      });
      assert.equal(waiting.attempts, 0, 'the gated step has not run before the approval');
      assert.equal(waiting.result, undefined, 'the gated step has no result before the approval');
      assert.equal(await openWorkflow(page, id), 'RUNNING');
      let result = await progressInUI(page, 'step change waiting for approval',
        /"id":"change"[^{}]*"status":"waiting-approval"/);
      await result.getByText('"waiting-approval"').scrollIntoViewIfNeeded();
      await screenshot(page, 'gate-waiting-approval-query');

      await sendSignal(page, 'approve', { step: 'change', by: 'browser-test' }, 'gate-approve-change');
      const state = await waitUntil('the gated run to close', RUN_TIMEOUT, async () => {
        const s = await openWorkflow(page, id);
        return s !== 'RUNNING' && s;
      });
      await screenshot(page, 'gate-completed');
      const { shown, json } = await resultInUI(page, 'gate-completed-result');
      assert.match(shown, /"status": "succeeded"/);
      result = await progressInUI(page, 'the approval recorded on step change',
        /"id":"change"[^{}]*"status":"succeeded"[^]*?"approval":\{"approved":true,"by":"browser-test"/);
      await result.getByText('"browser-test"').last().scrollIntoViewIfNeeded();
      await screenshot(page, 'gate-approval-recorded-query');
      assert.equal(state, 'COMPLETED');
      assert.equal(json.status, 'succeeded');
      assert.deepEqual(json.steps, { succeeded: 2 });

      const p = await dev.status(id);
      t.diagnostic(`gate ${id}: ${p.status}; ${stepSummary(p)}`);
      assert.equal(p.status, 'succeeded');
      const change = p.steps.find((s) => s.id === 'change');
      assert.equal(change.status, 'succeeded');
      assert.equal(change.approval?.approved, true, 'the approval is recorded');
      assert.equal(change.approval?.by, 'browser-test', 'the approver is recorded');
      assert.equal(change.result?.outputs?.changed, 'yes', 'the gated step ran after the approval');
      assert.match(change.output_tail || '', /the gated change ran/);
      assert.ok(Date.parse(change.ended_at) >= Date.parse(change.approval.at), 'it ended after the approval');
    });
  });
});
