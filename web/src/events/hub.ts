// The screens' events: one shared stream of everything (task, scan, run,
// run.target, run.step) opened while some screen listens, and streams of
// one run's events including run.log, opened per run page.
import { useEffect, useRef, useState } from 'react';
import { api, type ApiClient } from '../api/client';
import { EventStream, type ServerEvent } from './stream';

let shared: EventStream | null = null;
let users = 0;

/** Listens to the shared stream while mounted; fn sees events of types. */
export function useEvents(types: string[], fn: (e: ServerEvent) => void, client: ApiClient = api): boolean {
  const f = useRef(fn);
  f.current = fn;
  const [connected, setConnected] = useState(false);
  const key = types.join(',');
  useEffect(() => {
    if (!shared) shared = new EventStream({ open: (p, h, s) => client.openStream(p, h, s) });
    const s = shared;
    users++;
    s.start();
    setConnected(s.connected);
    const offStatus = s.onStatus(setConnected);
    const want = new Set(key.split(','));
    const off = s.on((e) => {
      if (want.has(e.type)) f.current(e);
    });
    return () => {
      off();
      offStatus();
      if (--users === 0) {
        s.stop();
        shared = null;
      }
    };
  }, [key, client]);
  return connected;
}

/** A stream of one run's events (with run.log) while mounted. */
export function useRunEvents(
  runId: string | undefined,
  fn: (e: ServerEvent) => void,
  client: ApiClient = api,
): boolean {
  const f = useRef(fn);
  f.current = fn;
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (!runId) return;
    const s = new EventStream({ open: (p, h, sig) => client.openStream(p, h, sig) }, [runId]);
    const offStatus = s.onStatus(setConnected);
    const off = s.on((e) => f.current(e));
    s.start();
    return () => {
      off();
      offStatus();
      s.stop();
    };
  }, [runId, client]);
  return connected;
}

/**
 * Waits for a task (connection test) to reach one of the end states:
 * resolves on its `task` event, or when check() says it is done (called
 * at once, and again every fallbackMs in case an event was missed).
 */
export function waitTaskEvent(
  taskId: string,
  check: () => Promise<boolean>,
  fallbackMs = 5000,
  client: ApiClient = api,
): { done: Promise<void>; cancel: () => void } {
  const s = shared ?? new EventStream({ open: (p, h, sig) => client.openStream(p, h, sig) });
  const own = s !== shared;
  let cancel = () => {};
  const done = new Promise<void>((resolve) => {
    let over = false;
    let t: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      if (over) return;
      over = true;
      off();
      if (t) clearTimeout(t);
      if (own) s.stop();
      resolve();
    };
    const poll = async () => {
      try {
        if (await check()) return finish();
      } catch {
        /* try again */
      }
      if (!over) t = setTimeout(poll, fallbackMs);
    };
    const off = s.on((e) => {
      if (e.type === 'task' && e.data?.id === taskId && ['succeeded', 'failed', 'canceled'].includes(e.data.state))
        void check().finally(finish);
    });
    cancel = finish;
    s.start();
    void poll();
  });
  return { done, cancel };
}
