// Connection tests: start one (or many) and wait for the worker's answer.
import type { ApiClient } from '../api/client';
import { waitTaskEvent } from '../events/hub';
import type { TestTask } from './types';

const done = (s: string) => s === 'succeeded' || s === 'failed' || s === 'canceled';

/** Polls the task until it finishes (or gives up after timeoutMs). */
export async function waitTest(
  client: ApiClient,
  taskId: string,
  timeoutMs = 120000,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<TestTask> {
  const end = Date.now() + timeoutMs;
  let wait = 400;
  for (;;) {
    const t = await client.get<TestTask>(`/api/v1/targets/tests/${taskId}`);
    if (done(t.state) || Date.now() > end) return t;
    await sleep(wait);
    wait = Math.min(wait * 1.5, 3000);
  }
}

/**
 * Waits for the task's `task` event (the events stream) instead of
 * polling; reads the task once it ends, and every 5 s in case an event
 * was missed (or the stream is down), giving up after timeoutMs.
 */
export async function waitTestLive(client: ApiClient, taskId: string, timeoutMs = 120000): Promise<TestTask> {
  let last: TestTask | null = null;
  const end = Date.now() + timeoutMs;
  const w = waitTaskEvent(
    taskId,
    async () => {
      last = await client.get<TestTask>(`/api/v1/targets/tests/${taskId}`, undefined);
      return done(last.state) || Date.now() > end;
    },
    5000,
    client,
  );
  await w.done;
  return last ?? (await client.get<TestTask>(`/api/v1/targets/tests/${taskId}`));
}

/** The outcome of a test in words. */
export function testWords(t: TestTask): { ok: boolean; text: string } {
  if (!done(t.state)) return { ok: false, text: 'The test is still running.' };
  if (t.error) return { ok: false, text: t.error };
  const r = t.result;
  if (!r) return { ok: false, text: `The test ${t.state}.` };
  if (r.error) return { ok: false, text: r.error };
  const bits = ['Reachable'];
  if (r.authenticated) bits.push('signed in');
  if (typeof r.latency_ms === 'number') bits.push(`${Math.round(r.latency_ms)} ms`);
  if (r.os) bits.push(r.os);
  if (r.server) bits.push(r.server);
  return { ok: !!r.reachable, text: bits.join(', ') + '.' };
}
