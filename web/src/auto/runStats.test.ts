import { describe, expect, it } from 'vitest';
import { countByDay, successRate } from './runStats';

describe('runStats', () => {
  it('counts runs per local day and the success rate', () => {
    const now = new Date(2026, 10, 23, 12);
    const at = (d: number, h = 10) => new Date(2026, 10, d, h).toISOString();
    const days = countByDay(
      [
        { state: 'succeeded', created_at: at(23) },
        { state: 'succeeded', created_at: at(23, 1) },
        { state: 'failed', created_at: at(22) },
        { state: 'timed_out', created_at: at(21) },
        { state: 'running', created_at: at(23) },
        { state: 'succeeded', created_at: at(1) }, // outside the window
      ],
      3,
      now,
    );
    expect(days).toEqual([
      { day: '2026-11-21', succeeded: 0, failed: 1, other: 0 },
      { day: '2026-11-22', succeeded: 0, failed: 1, other: 0 },
      { day: '2026-11-23', succeeded: 2, failed: 0, other: 1 },
    ]);
    expect(successRate(days)).toBe(0.5);
    expect(successRate(countByDay([], 2, now))).toBeNull();
  });
});
