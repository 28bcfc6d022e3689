// A run's log as lines per target: chunks from GET /runs/{id}/log and from
// run.log events, deduplicated by offset, put in offset order, split into
// lines (a chunk may end inside a line), searchable and downloadable.
import type { LogChunk } from './types';

export interface LogLine {
  text: string;
  stream: string;
  step: string | null;
  offset: number;
}

/** The key of a target's lines; chunks without a target use ''. */
const keyOf = (c: LogChunk) => c.run_target_id ?? '';

export class LogModel {
  private seen = new Set<number>();
  private chunks: LogChunk[] = [];
  private lines = new Map<string, LogLine[]>();
  /** Per target: the last line has no newline yet (stream|step it belongs to). */
  private open = new Map<string, string>();
  private dirty = false;
  /** Bumped on every change (for React). */
  version = 0;

  get size(): number {
    return this.chunks.length;
  }

  /** The highest offset held (the `after` of the next page), or 0. */
  get last(): number {
    return this.chunks.length ? this.chunks[this.chunks.length - 1].offset : 0;
  }

  has(offset: number): boolean {
    return this.seen.has(offset);
  }

  /** Adds chunks in any order; known offsets are ignored. True if anything changed. */
  add(chunks: LogChunk[]): boolean {
    let changed = false;
    for (const c of chunks) {
      if (this.seen.has(c.offset)) continue;
      this.seen.add(c.offset);
      changed = true;
      if (this.chunks.length === 0 || c.offset > this.last) {
        this.chunks.push(c);
        if (!this.dirty) this.split(c);
      } else {
        // Out of order (an event before its history page): insert, rebuild later.
        let lo = 0;
        let hi = this.chunks.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (this.chunks[mid].offset < c.offset) lo = mid + 1;
          else hi = mid;
        }
        this.chunks.splice(lo, 0, c);
        this.dirty = true;
      }
    }
    if (changed) this.version++;
    return changed;
  }

  private split(c: LogChunk) {
    const k = keyOf(c);
    let list = this.lines.get(k);
    if (!list) {
      list = [];
      this.lines.set(k, list);
    }
    const tag = `${c.stream}|${c.step_id ?? ''}`;
    const parts = c.data.split('\n');
    let i = 0;
    if (this.open.get(k) === tag && list.length) {
      const l = list[list.length - 1];
      list[list.length - 1] = { ...l, text: l.text + parts[0] };
      i = 1;
    }
    for (; i < parts.length; i++) {
      if (i === parts.length - 1 && parts[i] === '') break; // the chunk ended with a newline
      list.push({ text: parts[i], stream: c.stream, step: c.step_id, offset: c.offset });
    }
    if (c.data.endsWith('\n')) this.open.delete(k);
    else this.open.set(k, tag);
  }

  private rebuild() {
    this.lines.clear();
    this.open.clear();
    for (const c of this.chunks) this.split(c);
    this.dirty = false;
  }

  /** The lines of one target ('' for the run's own lines). */
  linesOf(target: string): LogLine[] {
    if (this.dirty) this.rebuild();
    return this.lines.get(target) ?? [];
  }

  /** Targets that have lines. */
  targets(): string[] {
    if (this.dirty) this.rebuild();
    return [...this.lines.keys()];
  }

  /** Indexes of the lines of target containing q (case-insensitive). */
  search(target: string, q: string): number[] {
    if (!q) return [];
    const needle = q.toLowerCase();
    const out: number[] = [];
    const list = this.linesOf(target);
    for (let i = 0; i < list.length; i++) if (list[i].text.toLowerCase().includes(needle)) out.push(i);
    return out;
  }

  /** The target's log as text (for download). */
  text(target: string): string {
    return this.linesOf(target)
      .map((l) => l.text)
      .join('\n');
  }
}
