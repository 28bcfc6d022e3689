// Forms against a fake server: the TOTP step of sign-in, and the API's
// field errors shown at the right field.
import { MantineProvider } from '@mantine/core';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../api/client';
import { SessionProvider, useSession } from '../auth/session';
import { SignIn } from './SignIn';
import { TargetForm } from './TargetForm';
import { TargetImport } from './TargetImport';

afterEach(cleanup);

type Route = (method: string, url: string, body: unknown) => [number, unknown];

function fakeClient(route: Route) {
  const seen: { method: string; url: string; body: unknown; type?: string }[] = [];
  const fetch = async (url: RequestInfo | URL, init?: RequestInit) => {
    const type = (init?.headers as Record<string, string> | undefined)?.['Content-Type'];
    const body = init?.body ? (type === 'application/json' ? JSON.parse(String(init.body)) : init.body) : undefined;
    const method = init?.method ?? 'GET';
    seen.push({ method, url: String(url), body, type });
    const [status, out] = route(method, String(url), body);
    return new Response(JSON.stringify(out), {
      status,
      headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  };
  return { client: new ApiClient({ fetch: fetch as typeof globalThis.fetch, sleep: async () => {} }), seen };
}

const noSession: [number, unknown] = [401, { type: 'urn:opsconductor:problem:unauthorized', title: 'Unauthorized', status: 401 }];

function Who() {
  const { user } = useSession();
  return <p>{user ? `signed in as ${user.username}` : 'signed out'}</p>;
}

function wrap(client: ApiClient, ui: React.ReactNode) {
  return render(
    <MantineProvider>
      <SessionProvider client={client}>
        {ui}
        <Who />
      </SessionProvider>
    </MantineProvider>,
  );
}

describe('SignIn', () => {
  it('asks for the one-time code when the account needs it', async () => {
    const { client, seen } = fakeClient((_m, url, body) => {
      if (url.endsWith('/refresh')) return noSession;
      const b = body as { totp_code?: string };
      if (!b.totp_code)
        return [401, { type: 'urn:opsconductor:problem:totp-required', title: 'Code needed', status: 401, detail: 'Send the code.' }];
      if (b.totp_code !== '123456')
        return [401, { type: 'urn:opsconductor:problem:totp-invalid', title: 'Wrong code', status: 401, detail: 'The one-time code is wrong, expired or already used.' }];
      return [200, { access_token: 'T', token_type: 'Bearer', expires_in: 0, user: { id: '1', username: 'ann', role: 'viewer' } }];
    });
    wrap(client, <SignIn />);
    const u = userEvent.setup();
    await u.type(await screen.findByLabelText(/Username/), 'ann');
    await u.type(screen.getByLabelText(/Password/), 'secret pw');
    await u.click(screen.getByRole('button', { name: 'Sign in' }));
    const code = await screen.findByLabelText(/One-time code/);
    expect(screen.queryByRole('alert')).toBeNull();
    await u.type(code, '000000');
    await u.click(screen.getByRole('button', { name: 'Verify' }));
    expect((await screen.findByRole('alert')).textContent).toContain('wrong, expired or already used');
    await u.clear(code);
    await u.type(code, '123456');
    await u.click(screen.getByRole('button', { name: 'Verify' }));
    await screen.findByText('signed in as ann');
    const last = seen[seen.length - 1];
    expect(last.body).toEqual({ username: 'ann', password: 'secret pw', totp_code: '123456' });
  });
});

describe('TargetForm', () => {
  it('shows the API field errors at their fields and sends nothing else', async () => {
    let posted: unknown = null;
    const { client } = fakeClient((_m, url, body) => {
      if (url.endsWith('/refresh'))
        return [200, { access_token: 'T', token_type: 'Bearer', expires_in: 0, user: { id: '1', username: 'op', role: 'operator' } }];
      if (url.startsWith('/api/v1/credentials')) return [200, { items: [], total: 0, next: null }];
      posted = body;
      return [
        422,
        {
          type: 'urn:opsconductor:problem:validation',
          title: 'Invalid input',
          status: 422,
          detail: 'Some fields are not valid; see errors.',
          errors: [
            { field: 'host', message: 'is not a valid host name' },
            { field: 'tags[0]', message: 'is too long' },
          ],
        },
      ];
    });
    let done = false;
    wrap(client, <TargetForm onDone={() => (done = true)} />);
    const u = userEvent.setup();
    await screen.findByText('signed in as op');
    await u.type(screen.getByRole('textbox', { name: /^Name/ }), 'web-1');
    await u.type(screen.getByLabelText(/^Host/), 'bad host');
    await u.click(screen.getByRole('button', { name: 'Create target' }));
    const host = screen.getByLabelText(/^Host/);
    await waitFor(() => expect(host.getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('is not a valid host name')).toBeTruthy();
    expect(screen.getByText('[0]: is too long')).toBeTruthy();
    expect(screen.getByRole('textbox', { name: /^Name/ }).getAttribute('aria-invalid')).toBe('false');
    expect(done).toBe(false);
    expect(posted).toMatchObject({ name: 'web-1', host: 'bad host', os: 'linux', protocol: 'ssh' });
  });
});

describe('TargetImport', () => {
  it('sends CSV as text/csv and lists the errors per row', async () => {
    const { client, seen } = fakeClient((_m, url) => {
      if (url.endsWith('/refresh'))
        return [200, { access_token: 'T', token_type: 'Bearer', expires_in: 0, user: { id: '1', username: 'op', role: 'operator' } }];
      return [
        422,
        {
          type: 'urn:opsconductor:problem:validation',
          title: 'Invalid input',
          status: 422,
          detail: 'Some fields are not valid; see errors.',
          errors: [
            { field: 'rows[1].host', message: 'is not a valid host name' },
            { field: 'rows[2].os', message: 'is not one of the allowed values' },
          ],
        },
      ];
    });
    let created = -1;
    wrap(client, <TargetImport onDone={(n) => (created = n)} />);
    await screen.findByText('signed in as op');
    const u = userEvent.setup();
    const csv = 'name,host,os\na,10.0.0.1,linux\nb,bad host,linux\nc,10.0.0.3,mac\n';
    const area = screen.getByRole('textbox', { name: 'CSV' });
    await u.click(area);
    await u.paste(csv);
    await u.click(screen.getByRole('button', { name: 'Import' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Nothing was imported');
    const rows = screen.getAllByRole('row').slice(1).map((r) => r.textContent);
    expect(rows).toEqual(['2hostis not a valid host name', '3osis not one of the allowed values']);
    expect(created).toBe(-1);
    const post = seen.find((x) => x.url === '/api/v1/targets/import');
    expect(post).toMatchObject({ method: 'POST', type: 'text/csv', body: csv });
  });
});
