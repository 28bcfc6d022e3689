import { describe, expect, it } from 'vitest';
import { EventStream, SseParser, type ServerEvent } from './stream';

function body(chunks: string[], keepOpen = false): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const x of chunks) c.enqueue(enc.encode(x));
      if (!keepOpen) c.close();
    },
  });
}

describe('SseParser', () => {
  it('parses events split anywhere, comments and multi-line data', () => {
    const p = new SseParser();
    const got: string[] = [];
    const text = ': hello\n\nid: 1\nevent: run\ndata: {"a":1}\n\nid: 2\r\nevent: run.log\r\ndata: x\r\ndata: y\r\n\r\n';
    for (let i = 0; i < text.length; i += 3) p.feed(text.slice(i, i + 3), (id, t, d) => got.push(`${id}|${t}|${d}`));
    expect(got).toEqual(['1|run|{"a":1}', '2|run.log|x\ny']);
  });
});

describe('EventStream', () => {
  it('resumes after a drop with Last-Event-ID, without repeats, with backoff', async () => {
    const calls: Record<string, string>[] = [];
    const waits: number[] = [];
    const answers = [
      () => new Response(body(['id: 5\nevent: task\ndata: {"id":"t","state":"running"}\n\n', 'id: 6\nevent: scan\ndata: {"done":1}\n\n'])),
      () => {
        throw new TypeError('network down');
      },
      () => new Response(null, { status: 503 }),
      // The server replays from 6 on; 6 again is dropped as already seen.
      () => new Response(body(['id: 6\nevent: scan\ndata: {"done":1}\n\nid: 7\nevent: task\ndata: {"id":"t","state":"succeeded"}\n\n'], true)),
    ];
    let s: EventStream;
    const seen: ServerEvent[] = [];
    const done = new Promise<void>((resolve) => {
      s = new EventStream({
        open: async (path, headers) => {
          expect(path).toBe('/api/v1/events?run=r1');
          calls.push(headers);
          const a = answers.shift();
          if (!a) return new Promise<Response>(() => {});
          return a();
        },
        sleep: async (ms) => {
          waits.push(ms);
        },
      }, ['r1']);
      s.on((e) => {
        seen.push(e);
        if (e.id === 7) resolve();
      });
      s.start();
    });
    await done;
    s!.stop();
    expect(seen.map((e) => `${e.id}:${e.type}`)).toEqual(['5:task', '6:scan', '7:task']);
    expect(seen[2].data).toEqual({ id: 't', state: 'succeeded' });
    expect(calls[0]['Last-Event-ID']).toBeUndefined();
    expect(calls.slice(1).map((h) => h['Last-Event-ID'])).toEqual(['6', '6', '6']);
    // The first connection delivered events: backoff starts over, then doubles.
    expect(waits).toEqual([500, 1000, 2000]);
    expect(s!.lastId).toBe(7);
  });

  it('starts from a given Last-Event-ID and stops for good', async () => {
    let opened = 0;
    const s = new EventStream({
      lastId: 41,
      open: async (_p, h, signal) => {
        opened++;
        expect(h['Last-Event-ID']).toBe('41');
        return new Promise<Response>((_r, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      },
    });
    s.start();
    await new Promise((r) => setTimeout(r, 10));
    s.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(opened).toBe(1);
  });
});
