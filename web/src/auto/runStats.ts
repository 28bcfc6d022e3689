// Run counts per day (succeeded / failed / other) and the success rate,
// for the dashboard's chart.
import type { Run } from './types';

export interface DayCount {
  day: string; // YYYY-MM-DD, local time
  succeeded: number;
  failed: number;
  other: number;
}

const ymd = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** One entry per day of the last `days` days ending today, oldest first. */
export function countByDay(runs: Pick<Run, 'state' | 'created_at'>[], days: number, now = new Date()): DayCount[] {
  const out: DayCount[] = [];
  const index = new Map<string, DayCount>();
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i);
    const c = { day: ymd(d), succeeded: 0, failed: 0, other: 0 };
    out.push(c);
    index.set(c.day, c);
  }
  for (const r of runs) {
    const c = index.get(ymd(new Date(r.created_at)));
    if (!c) continue;
    if (r.state === 'succeeded') c.succeeded++;
    else if (r.state === 'failed' || r.state === 'timed_out') c.failed++;
    else c.other++;
  }
  return out;
}

/** Succeeded out of finished (succeeded, failed, timed out), or null. */
export function successRate(days: DayCount[]): number | null {
  let ok = 0;
  let bad = 0;
  for (const d of days) {
    ok += d.succeeded;
    bad += d.failed;
  }
  return ok + bad ? ok / (ok + bad) : null;
}
