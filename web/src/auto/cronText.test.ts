import { describe, expect, it } from 'vitest';
import { describeCron } from './cronText';

describe('describeCron', () => {
  const cases: [string, string | null][] = [
    ['* * * * *', 'Every minute'],
    ['*/15 * * * *', 'Every 15 minutes'],
    ['30 2 * * *', 'At 02:30'],
    ['0 9 * * 1-5', 'At 09:00, on Monday through Friday'],
    ['0 9 * * mon-fri', 'At 09:00, on Monday through Friday'],
    ['5 * * * *', 'At minute 5 past every hour'],
    ['0 0 1 * *', 'At 00:00, on day 1 of the month'],
    ['0 0 1,15 * 0', 'At 00:00, on day 1 and 15 of the month or on Sunday'],
    ['0 8,20 * * *', 'At 08:00 and 20:00'],
    ['0 12 * jan,jul *', 'At 12:00, in January and July'],
    ['0 0 * * 7', 'At 00:00, on Sunday'],
    ['@daily', 'At 00:00'],
    ['@hourly', 'At minute 0 past every hour'],
    ['@weekly', 'At 00:00, on Sunday'],
    ['0 */2 * * *', 'At minute 0 past every 2nd hour'],
    ['', null],
    ['* * * *', null],
    ['61 * * * *', null],
    ['5-1 * * * *', null],
    ['@sometimes', null],
    ['*/0 * * * *', null],
    ['0 0 * foo *', null],
  ];
  for (const [expr, want] of cases) it(`${expr || '(empty)'}`, () => expect(describeCron(expr)).toBe(want));
});
