// Connection test results in words, and waiting for the task.
import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../api/client';
import { testWords, waitTest } from './targetTest';
import type { TestTask } from './types';

const task = (state: string, result: TestTask['result'] = null, error: string | null = null): TestTask => ({
  id: 't',
  state,
  target_id: 'x',
  result,
  error,
});

describe('testWords', () => {
  it('says what a finished test found', () => {
    expect(testWords(task('succeeded', { reachable: true, authenticated: true, latency_ms: 12.4, server: 'OpenSSH_9.2' }))).toEqual({
      ok: true,
      text: 'Reachable, signed in, 12 ms, OpenSSH_9.2.',
    });
    expect(testWords(task('succeeded', { reachable: false, error: 'connection refused' }))).toEqual({
      ok: false,
      text: 'connection refused',
    });
    expect(testWords(task('failed', null, 'the worker gave up'))).toEqual({ ok: false, text: 'the worker gave up' });
    expect(testWords(task('running')).ok).toBe(false);
  });
});

describe('waitTest', () => {
  it('polls until the task has finished', async () => {
    const states = ['queued', 'running', 'succeeded'];
    const get = vi.fn(async () => task(states.shift()!, { reachable: true }));
    const t = await waitTest({ get } as unknown as ApiClient, 'abc', 60000, async () => {});
    expect(t.state).toBe('succeeded');
    expect(get).toHaveBeenCalledTimes(3);
    expect(get).toHaveBeenCalledWith('/api/v1/targets/tests/abc');
  });
});
