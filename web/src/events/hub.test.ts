import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../api/client';
import { waitTaskEvent } from './hub';

describe('waitTaskEvent', () => {
  it('ends on the task event instead of polling', async () => {
    const enc = new TextEncoder();
    let push: (s: string) => void = () => {};
    const client = {
      openStream: async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(c) {
              push = (s) => c.enqueue(enc.encode(s));
            },
          }),
        ),
    } as unknown as ApiClient;
    let state = 'running';
    let checks = 0;
    const w = waitTaskEvent(
      't1',
      async () => {
        checks++;
        return state === 'succeeded';
      },
      60000, // the fallback poll would come far too late for this test
      client,
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(checks).toBe(1);
    // Another task's event changes nothing; this task's end does.
    push('id: 1\nevent: task\ndata: {"id":"t2","state":"succeeded"}\n\n');
    await new Promise((r) => setTimeout(r, 20));
    expect(checks).toBe(1);
    state = 'succeeded';
    push('id: 2\nevent: task\ndata: {"id":"t1","state":"succeeded"}\n\n');
    await w.done;
    expect(checks).toBe(2);
  });
});
