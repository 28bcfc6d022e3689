import { describe, expect, it } from 'vitest';
import { LogModel } from './logmodel';
import type { LogChunk } from './types';

const c = (offset: number, data: string, t: string | null = 't1', stream = 'stdout', step = 's'): LogChunk => ({
  offset,
  run_target_id: t,
  step_id: step,
  stream,
  data,
});

describe('LogModel', () => {
  it('splits chunks into lines, joining a line cut between chunks', () => {
    const m = new LogModel();
    m.add([c(1, 'one\ntw'), c(2, 'o\nthree\n'), c(3, 'four')]);
    expect(m.linesOf('t1').map((l) => l.text)).toEqual(['one', 'two', 'three', 'four']);
    expect(m.last).toBe(3);
  });

  it('keeps targets apart', () => {
    const m = new LogModel();
    m.add([c(1, 'a\n', 't1'), c(2, 'b\n', 't2'), c(3, 'c\n', null)]);
    expect(m.linesOf('t1').map((l) => l.text)).toEqual(['a']);
    expect(m.linesOf('t2').map((l) => l.text)).toEqual(['b']);
    expect(m.linesOf('').map((l) => l.text)).toEqual(['c']);
    expect(m.targets().sort()).toEqual(['', 't1', 't2']);
  });

  it('does not join lines of different streams', () => {
    const m = new LogModel();
    m.add([c(1, 'out', 't1', 'stdout'), c(2, 'err\n', 't1', 'stderr')]);
    expect(m.linesOf('t1').map((l) => `${l.stream}:${l.text}`)).toEqual(['stdout:out', 'stderr:err']);
  });

  it('drops offsets it has and orders late history before live events', () => {
    const m = new LogModel();
    // Live events arrive first, then the history page overlaps them.
    expect(m.add([c(3, 'three\n'), c(4, 'four\n')])).toBe(true);
    expect(m.add([c(1, 'one\n'), c(2, 'two\n'), c(3, 'three\n')])).toBe(true);
    expect(m.add([c(4, 'four\n')])).toBe(false);
    expect(m.linesOf('t1').map((l) => l.text)).toEqual(['one', 'two', 'three', 'four']);
    expect(m.size).toBe(4);
  });

  it('holds 100,000 lines quickly and searches them', () => {
    const m = new LogModel();
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      let data = '';
      for (let j = 0; j < 100; j++) data += `line ${i * 100 + j}${(i * 100 + j) % 25000 === 7 ? ' NEEDLE' : ''}\n`;
      m.add([c(i + 1, data)]);
    }
    const lines = m.linesOf('t1');
    expect(lines.length).toBe(100000);
    expect(lines[99999].text).toBe('line 99999');
    expect(m.search('t1', 'needle')).toEqual([7, 25007, 50007, 75007]);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('gives the text for download', () => {
    const m = new LogModel();
    m.add([c(1, 'a\nb\n')]);
    expect(m.text('t1')).toBe('a\nb');
  });
});
