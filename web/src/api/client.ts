// The API client: access token in memory only, refresh through the
// refresh cookie (once for all concurrent requests), retries while the
// server cannot be reached, problem+json turned into ApiError.
import { ApiError, httpProblem, networkProblem, type Problem } from './problem';

export type Role = 'viewer' | 'operator' | 'admin';

export interface SessionUser {
  id: string;
  username: string;
  role: Role;
}

export interface LoginAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  user: SessionUser;
}

export interface List<T> {
  items: T[];
  total: number;
  next: string | null;
}

export interface Answer<T> {
  data: T;
  status: number;
  etag: string | null;
}

export interface RequestOptions {
  body?: unknown;
  /** A body sent as it is (CSV), with its Content-Type. */
  raw?: { type: string; data: string };
  query?: Record<string, string | number | boolean | undefined | null>;
  ifMatch?: string | null;
  /** GETs retry while the server is unreachable; this caps the tries. */
  maxTries?: number;
  /** No refresh-and-retry on 401 (sign-in, refresh itself). */
  noRefresh?: boolean;
  /** Sent as Idempotency-Key (creates that may be retried). */
  idempotencyKey?: string;
}

type Fetch = typeof fetch;

export interface ClientDeps {
  base?: string;
  fetch?: Fetch;
  sleep?: (ms: number) => Promise<void>;
  /** The longest wait between two tries when offline. */
  maxBackoffMs?: number;
}

export function query(q?: RequestOptions['query']): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  private token: string | null = null;
  private refreshing: Promise<LoginAnswer | null> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly base: string;
  private readonly fetchFn: Fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxBackoff: number;
  private online = true;
  /** The signed-in user changed (null: signed out or the session ended). */
  onUser: (u: SessionUser | null) => void = () => {};
  /** The server became unreachable (false) or reachable again (true). */
  onConnection: (online: boolean) => void = () => {};

  constructor(deps: ClientDeps = {}) {
    this.base = deps.base ?? '';
    this.fetchFn = deps.fetch ?? ((...a) => fetch(...a));
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.maxBackoff = deps.maxBackoffMs ?? 10000;
  }

  hasToken(): boolean {
    return this.token !== null;
  }

  private setOnline(v: boolean) {
    if (this.online !== v) {
      this.online = v;
      this.onConnection(v);
    }
  }

  private accept(a: LoginAnswer) {
    this.token = a.access_token;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    // Refresh in the background a little before the token expires.
    const ms = Math.max(5, a.expires_in * 0.8) * 1000;
    if (typeof window !== 'undefined' && a.expires_in > 0) {
      this.refreshTimer = setTimeout(() => {
        void this.refresh();
      }, ms);
    }
    this.onUser(a.user);
  }

  private forget() {
    this.token = null;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
  }

  /** Signs in; a TOTP-enabled account answers ApiError totp-required first. */
  async login(username: string, password: string, second?: { totp_code?: string; recovery_code?: string }) {
    const r = await this.request<LoginAnswer>('POST', '/api/v1/auth/login', {
      body: { username, password, ...second },
      noRefresh: true,
    });
    this.accept(r.data);
    return r.data.user;
  }

  /**
   * A new access token from the refresh cookie; null when there is no
   * valid session. Concurrent callers share one request.
   */
  refresh(): Promise<LoginAnswer | null> {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        try {
          const r = await this.request<LoginAnswer>('POST', '/api/v1/auth/refresh', {
            noRefresh: true,
            maxTries: 3,
          });
          this.accept(r.data);
          return r.data;
        } catch (e) {
          if (e instanceof ApiError && e.status === 401) {
            this.forget();
            this.onUser(null);
            return null;
          }
          throw e;
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }

  async logout() {
    try {
      await this.request('POST', '/api/v1/auth/logout', { noRefresh: true, maxTries: 1 });
    } finally {
      this.forget();
      this.onUser(null);
    }
  }

  private async once(method: string, path: string, o: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (o.ifMatch) headers['If-Match'] = o.ifMatch;
    if (o.idempotencyKey) headers['Idempotency-Key'] = o.idempotencyKey;
    let body: BodyInit | undefined;
    if (o.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.body);
    } else if (o.raw) {
      headers['Content-Type'] = o.raw.type;
      body = o.raw.data;
    }
    return this.fetchFn(this.base + path + query(o.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  }

  /** One request with retries (GET) while the server is unreachable. */
  private async send(method: string, path: string, o: RequestOptions): Promise<Response> {
    const idempotent = method === 'GET';
    const tries = o.maxTries ?? (idempotent ? Infinity : 1);
    let wait = 500;
    for (let n = 1; ; n++) {
      let res: Response | null = null;
      try {
        res = await this.once(method, path, o);
      } catch {
        res = null;
      }
      // nginx answers 502/503/504 with its own page while a pool restarts.
      const gateway = res !== null && [502, 504].includes(res.status) &&
        !(res.headers.get('Content-Type') || '').includes('json');
      if (res !== null && !gateway) {
        this.setOnline(true);
        return res;
      }
      this.setOnline(false);
      if (n >= tries) {
        if (res) return res;
        throw new ApiError(networkProblem());
      }
      await this.sleep(wait);
      wait = Math.min(wait * 2, this.maxBackoff);
    }
  }

  async request<T = unknown>(method: string, path: string, o: RequestOptions = {}): Promise<Answer<T>> {
    let res = await this.send(method, path, o);
    if (res.status === 401 && !o.noRefresh && this.token !== null) {
      const a = await this.refresh();
      if (a) res = await this.send(method, path, o);
    }
    const type = res.headers.get('Content-Type') || '';
    let data: unknown = null;
    if (res.status !== 204) {
      const text = await res.text();
      if (text && type.includes('json')) {
        try {
          data = JSON.parse(text);
        } catch {
          data = null;
        }
      }
    }
    if (!res.ok) {
      const p =
        data && typeof data === 'object' && 'title' in (data as object)
          ? (data as Problem)
          : httpProblem(res.status, res.statusText);
      if (!p.status) p.status = res.status;
      throw new ApiError(p);
    }
    return { data: data as T, status: res.status, etag: res.headers.get('ETag') };
  }

  /**
   * A streaming GET (server-sent events) with the access token in the
   * Authorization header: the Response as it is, once refreshed on 401.
   */
  async openStream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    const go = () =>
      this.fetchFn(this.base + path, {
        method: 'GET',
        headers: this.token ? { ...headers, Authorization: `Bearer ${this.token}` } : headers,
        credentials: 'same-origin',
        cache: 'no-store',
        signal,
      });
    let res = await go();
    if (res.status === 401 && this.token !== null) {
      await res.body?.cancel().catch(() => undefined);
      const a = await this.refresh();
      if (a) res = await go();
    }
    return res;
  }

  async get<T>(path: string, q?: RequestOptions['query']): Promise<T> {
    return (await this.request<T>('GET', path, { query: q })).data;
  }
  async post<T>(path: string, body?: unknown): Promise<T> {
    return (await this.request<T>('POST', path, { body })).data;
  }
  async patch<T>(path: string, body: unknown, ifMatch?: string | null): Promise<T> {
    return (await this.request<T>('PATCH', path, { body, ifMatch })).data;
  }
  async put<T>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>('PUT', path, { body })).data;
  }
  async del(path: string, q?: RequestOptions['query']): Promise<void> {
    await this.request('DELETE', path, { query: q });
  }
}

export const api = new ApiClient();
