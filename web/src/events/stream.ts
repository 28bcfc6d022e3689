// The events client: GET /api/v1/events read with fetch (EventSource
// cannot send the Authorization header, and tokens never go in URLs),
// parsed as server-sent events, resumed with Last-Event-ID after a drop,
// reconnecting with backoff.

export interface ServerEvent {
  id: number;
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** Opens the stream: a streaming GET with the caller's headers. */
export type StreamOpener = (path: string, headers: Record<string, string>, signal: AbortSignal) => Promise<Response>;

export interface StreamDeps {
  open: StreamOpener;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The longest wait between two tries. */
  maxBackoffMs?: number;
  /** Resume after this event id from the first connection on. */
  lastId?: number | null;
}

/** Incremental text/event-stream parser: feed it chunks, get events. */
export class SseParser {
  private buf = '';
  private id: string | null = null;
  private type = '';
  private data: string[] = [];

  feed(chunk: string, emit: (id: string | null, type: string, data: string) => void) {
    this.buf += chunk;
    for (;;) {
      const nl = this.buf.search(/\r\n|\n|\r/);
      if (nl < 0) break;
      const sep = this.buf.startsWith('\r\n', nl) ? 2 : 1;
      // A lone \r at the very end may be the first half of \r\n.
      if (sep === 1 && this.buf[nl] === '\r' && nl === this.buf.length - 1) break;
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + sep);
      this.line(line, emit);
    }
  }

  private line(line: string, emit: (id: string | null, type: string, data: string) => void) {
    if (line === '') {
      if (this.data.length > 0 || this.type) emit(this.id, this.type || 'message', this.data.join('\n'));
      this.type = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return; // a comment (heartbeat)
    const c = line.indexOf(':');
    const field = c < 0 ? line : line.slice(0, c);
    let value = c < 0 ? '' : line.slice(c + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') this.id = value;
    else if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
  }
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * One stream of events. start() connects and keeps reconnecting until
 * stop(); listeners get every event once, in id order (ids at or below
 * the last one seen are dropped).
 */
export class EventStream {
  private listeners = new Set<(e: ServerEvent) => void>();
  private statusListeners = new Set<(connected: boolean) => void>();
  private ctl: AbortController | null = null;
  private readonly deps: Required<Omit<StreamDeps, 'lastId'>>;
  /** The id of the last event delivered (sent as Last-Event-ID). */
  lastId: number | null;
  connected = false;
  /** How many times a connection was opened (for tests and diagnostics). */
  connects = 0;

  constructor(
    deps: StreamDeps,
    readonly runs: string[] = [],
  ) {
    this.deps = { sleep: abortableSleep, maxBackoffMs: 10000, ...deps } as Required<Omit<StreamDeps, 'lastId'>>;
    this.lastId = deps.lastId ?? null;
  }

  on(fn: (e: ServerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onStatus(fn: (connected: boolean) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  private setConnected(v: boolean) {
    if (this.connected === v) return;
    this.connected = v;
    for (const f of this.statusListeners) f(v);
  }

  path(): string {
    const q = this.runs.map((r) => `run=${encodeURIComponent(r)}`).join('&');
    return '/api/v1/events' + (q ? `?${q}` : '');
  }

  start(): void {
    if (this.ctl) return;
    const ctl = new AbortController();
    this.ctl = ctl;
    void this.loop(ctl.signal);
  }

  stop(): void {
    this.ctl?.abort();
    this.ctl = null;
    this.setConnected(false);
  }

  private deliver(id: string | null, type: string, data: string) {
    const n = id !== null && /^\d+$/.test(id) ? Number(id) : null;
    if (n !== null && this.lastId !== null && n <= this.lastId) return;
    let parsed: unknown = null;
    try {
      parsed = data ? JSON.parse(data) : null;
    } catch {
      parsed = data;
    }
    if (n !== null) this.lastId = n;
    const e: ServerEvent = { id: n ?? 0, type, data: parsed };
    for (const f of [...this.listeners]) {
      try {
        f(e);
      } catch {
        /* a listener's error is its own */
      }
    }
  }

  private async loop(signal: AbortSignal) {
    let wait = 500;
    while (!signal.aborted) {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (this.lastId !== null) headers['Last-Event-ID'] = String(this.lastId);
      try {
        this.connects++;
        const res = await this.deps.open(this.path(), headers, signal);
        if (res.ok && res.body) {
          this.setConnected(true);
          const reader = res.body.getReader();
          const dec = new TextDecoder();
          const parser = new SseParser();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parser.feed(dec.decode(value, { stream: true }), (id, type, data) => {
              wait = 500; // a working stream resets the backoff
              this.deliver(id, type, data);
            });
          }
        } else if (res.status === 401 || res.status === 403) {
          wait = Math.max(wait, 5000); // signed out: try again slowly
        }
      } catch {
        /* dropped: reconnect below */
      }
      this.setConnected(false);
      if (signal.aborted) break;
      await this.deps.sleep(wait, signal);
      wait = Math.min(wait * 2, this.deps.maxBackoffMs);
    }
  }
}
