// The API client: refresh on 401 (once for all), retries while offline,
// problem+json errors, headers.
import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from './client';
import { ApiError } from './problem';

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json',
      ...headers,
    },
  });
}

const unauthorized = () =>
  json(401, { type: 'urn:opsconductor:problem:unauthorized', title: 'Unauthorized', status: 401, detail: 'Sign in.' });
const session = (token: string) =>
  json(200, { access_token: token, token_type: 'Bearer', expires_in: 0, user: { id: 'u1', username: 'ann', role: 'operator' } });

function client(h: Handler) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return h(String(url), init ?? {});
  });
  const c = new ApiClient({ fetch: fetch as unknown as typeof globalThis.fetch, sleep: async () => {} });
  return { c, calls };
}

const auth = (init: RequestInit) => (init.headers as Record<string, string>).Authorization;

describe('ApiClient', () => {
  it('keeps the token in memory and sends it', async () => {
    const { c, calls } = client((url) => (url.endsWith('/login') ? session('T1') : json(200, { ok: 1 })));
    const users: unknown[] = [];
    c.onUser = (u) => users.push(u);
    await c.login('ann', 'pw');
    expect(await c.get('/api/v1/me')).toEqual({ ok: 1 });
    expect(auth(calls[1].init)).toBe('Bearer T1');
    expect(users).toEqual([{ id: 'u1', username: 'ann', role: 'operator' }]);
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it('refreshes once on 401 for concurrent requests and retries them', async () => {
    let refreshes = 0;
    const { c, calls } = client(async (url, init) => {
      if (url.endsWith('/login')) return session('OLD');
      if (url.endsWith('/refresh')) {
        refreshes++;
        await new Promise((r) => setTimeout(r, 5));
        return session('NEW');
      }
      return auth(init) === 'Bearer NEW' ? json(200, { url }) : unauthorized();
    });
    await c.login('ann', 'pw');
    const got = await Promise.all([c.get('/api/v1/a'), c.get('/api/v1/b'), c.get('/api/v1/c')]);
    expect(got.map((g) => (g as { url: string }).url)).toEqual(['/api/v1/a', '/api/v1/b', '/api/v1/c']);
    expect(refreshes).toBe(1);
    const refresh = calls.find((x) => x.url.endsWith('/refresh'))!;
    // The refresh cookie goes along; no token in the body.
    expect(refresh.init.credentials).toBe('same-origin');
    expect(refresh.init.body).toBeUndefined();
  });

  it('signs out when the refresh is refused', async () => {
    const { c } = client((url) => (url.endsWith('/login') ? session('T') : unauthorized()));
    const users: unknown[] = [];
    await c.login('ann', 'pw');
    c.onUser = (u) => users.push(u);
    await expect(c.get('/api/v1/me')).rejects.toBeInstanceOf(ApiError);
    expect(users).toEqual([null]);
    expect(c.hasToken()).toBe(false);
  });

  it('does not refresh for a failed sign-in', async () => {
    const { c, calls } = client(() =>
      json(401, { type: 'urn:opsconductor:problem:totp-required', title: 'Code needed', status: 401 }),
    );
    const e = await c.login('ann', 'pw').catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).slug).toBe('totp-required');
    expect(calls).toHaveLength(1);
  });

  it('retries a GET while the server cannot be reached and says so', async () => {
    let n = 0;
    const { c } = client(() => {
      n++;
      if (n <= 3) throw new TypeError('Failed to fetch');
      if (n === 4) return new Response('<html>bad gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } });
      return json(200, { items: [], total: 0, next: null });
    });
    const seen: boolean[] = [];
    c.onConnection = (v) => seen.push(v);
    expect(await c.get('/api/v1/targets')).toEqual({ items: [], total: 0, next: null });
    expect(n).toBe(5);
    expect(seen).toEqual([false, true]);
  });

  it('does not repeat a POST when the server cannot be reached', async () => {
    let n = 0;
    const { c } = client(() => {
      n++;
      throw new TypeError('Failed to fetch');
    });
    const e = await c.post('/api/v1/targets', { name: 'x' }).catch((x) => x);
    expect(n).toBe(1);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(0);
  });

  it('turns problem+json into ApiError with the field errors', async () => {
    const { c } = client(() =>
      json(422, {
        type: 'urn:opsconductor:problem:validation',
        title: 'Invalid input',
        status: 422,
        errors: [{ field: 'host', message: 'is not a valid host name' }],
      }),
    );
    const e = (await c.post('/api/v1/targets', {}).catch((x) => x)) as ApiError;
    expect(e.status).toBe(422);
    expect(e.problem.errors).toEqual([{ field: 'host', message: 'is not a valid host name' }]);
  });

  it('sends If-Match, JSON and raw bodies, and reads the ETag', async () => {
    const { c, calls } = client(() => json(200, { id: 1 }, { ETag: '"3"' }));
    const r = await c.request('PATCH', '/api/v1/targets/1', { body: { name: 'a' }, ifMatch: '"2"' });
    expect(r.etag).toBe('"3"');
    const h = calls[0].init.headers as Record<string, string>;
    expect(h['If-Match']).toBe('"2"');
    expect(h['Content-Type']).toBe('application/json');
    expect(calls[0].init.body).toBe('{"name":"a"}');
    await c.request('POST', '/api/v1/targets/import', { raw: { type: 'text/csv', data: 'name,host\n' } });
    expect((calls[1].init.headers as Record<string, string>)['Content-Type']).toBe('text/csv');
    expect(calls[1].init.body).toBe('name,host\n');
  });

  it('builds query strings without empty values', async () => {
    const { c, calls } = client(() => json(200, {}));
    await c.get('/api/v1/targets', { q: 'web 1', os: null, tag: '', limit: 200, enabled: false });
    expect(calls[0].url).toBe('/api/v1/targets?q=web+1&limit=200&enabled=false');
  });
});
