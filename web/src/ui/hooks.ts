// Small hooks every screen uses: loading data, submitting forms with
// field errors, polling.
import { useCallback, useEffect, useRef, useState } from 'react';
import { fieldErrors, problemText } from '../api/problem';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Loads with fn whenever deps change; the last answer wins. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const n = ++seq.current;
    setLoading(true);
    fn().then(
      (d) => {
        if (n !== seq.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (n !== seq.current) return;
        setError(problemText(e));
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export interface Submit {
  busy: boolean;
  error: string | null;
  fields: Record<string, string>;
  run: (fn: () => Promise<unknown>) => Promise<boolean>;
  clear: () => void;
}

/**
 * Runs a submission: problem+json errors go to the fields they name, the
 * rest to one message in words. Resolves true on success.
 */
export function useSubmit(): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setFields({});
    try {
      await fn();
      return true;
    } catch (e) {
      const f = fieldErrors(e);
      setFields(f);
      setError(problemText(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => {
    setError(null);
    setFields({});
  }, []);
  return { busy, error, fields, run, clear };
}

/** Calls fn every ms while active; fn returning true stops it. */
export function usePoll(fn: () => Promise<boolean>, ms: number, active: boolean) {
  const f = useRef(fn);
  f.current = fn;
  useEffect(() => {
    if (!active) return;
    let stop = false;
    let t: ReturnType<typeof setTimeout>;
    const tick = async () => {
      let done = false;
      try {
        done = await f.current();
      } catch {
        done = false;
      }
      if (!stop && !done) t = setTimeout(tick, ms);
    };
    t = setTimeout(tick, ms);
    return () => {
      stop = true;
      clearTimeout(t);
    };
  }, [ms, active]);
}

export function when(ts: string | null | undefined): string {
  if (!ts) return '—';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toLocaleString();
}
