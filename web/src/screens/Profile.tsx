// My profile: name and email, password, two-factor sign-in enrolment
// (QR code), my sessions, preferences of this browser.
import { Alert, Button, Card, Code, Group, Image, List as UL, PasswordInput, SegmentedControl, Stack, Text, TextInput, Title, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';
import QRCode from 'qrcode';
import { useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../auth/session';
import { useLoad, useSubmit } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';
import { SessionList } from './Sessions';

interface Me {
  id: string;
  username: string;
  display_name: string | null;
  email: string | null;
  role: string;
  totp_enabled: boolean;
  version: number;
}

export default function Profile() {
  const { client } = useSession();
  const me = useLoad(() => client.get<Me>('/api/v1/me'), []);
  return (
    <Page title="My profile">
      <ErrorBox error={me.error} />
      {me.data && <Details me={me.data} onSaved={me.reload} />}
      <Password />
      {me.data && <Totp enabled={me.data.totp_enabled} onChanged={me.reload} />}
      <Card withBorder>
        <Stack gap="sm">
          <Title order={3} size="h4">
            My sessions
          </Title>
          <SessionList />
        </Stack>
      </Card>
      <Preferences />
    </Page>
  );
}

/** Preferences kept by this browser (nothing secret): the colour scheme,
 * "system" by default, follows the operating system's light or dark. */
export function Preferences() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={3} size="h4">
          Preferences
        </Title>
        <Text size="sm" id="pref-scheme-label">
          Appearance (kept in this browser)
        </Text>
        <SegmentedControl
          aria-labelledby="pref-scheme-label"
          value={colorScheme}
          onChange={(v) => setColorScheme(v as MantineColorScheme)}
          data={[
            { value: 'auto', label: 'Follow the system' },
            { value: 'light', label: 'Light' },
            { value: 'dark', label: 'Dark' },
          ]}
        />
      </Stack>
    </Card>
  );
}

function Details({ me, onSaved }: { me: Me; onSaved: () => void }) {
  const { client } = useSession();
  const [name, setName] = useState(me.display_name ?? '');
  const [email, setEmail] = useState(me.email ?? '');
  const [done, setDone] = useState(false);
  const s = useSubmit();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(false);
    if (await s.run(() => client.patch('/api/v1/me', { display_name: name || null, email: email || null }, `"${me.version}"`))) {
      setDone(true);
      onSaved();
    }
  }
  return (
    <Card withBorder>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Title order={3} size="h4">
            {me.username} ({me.role})
          </Title>
          <TextInput label="Display name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={s.fields.display_name} />
          <TextInput label="Email" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={s.fields.email} />
          {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not saved" />}
          {done && <Text c="green">Saved.</Text>}
          <Group justify="flex-end">
            <Button type="submit" variant="default" loading={s.busy}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function Password() {
  const { client } = useSession();
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const s = useSubmit();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(false);
    if (await s.run(() => client.post('/api/v1/me/password', { current_password: cur, new_password: next }))) {
      setDone(true);
      setCur('');
      setNext('');
    }
  }
  return (
    <Card withBorder>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Title order={3} size="h4">
            Password
          </Title>
          <PasswordInput label="Current password" autoComplete="current-password" value={cur} onChange={(e) => setCur(e.currentTarget.value)} error={s.fields.current_password} />
          <PasswordInput label="New password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.currentTarget.value)} error={s.fields.new_password} />
          {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not changed" />}
          {done && <Text c="green">Password changed; your other sessions were signed out.</Text>}
          <Group justify="flex-end">
            <Button type="submit" variant="default" loading={s.busy}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function Totp({ enabled, onChanged }: { enabled: boolean; onChanged: () => void }) {
  const { client } = useSession();
  const [enrol, setEnrol] = useState<{ secret: string; otpauth_uri: string } | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const s = useSubmit();
  useEffect(() => {
    if (!enrol) return setQr(null);
    QRCode.toDataURL(enrol.otpauth_uri, { margin: 1, width: 200 }).then(setQr, () => setQr(null));
  }, [enrol]);

  async function start() {
    let r: { secret: string; otpauth_uri: string } | null = null;
    if (await s.run(async () => (r = await client.post('/api/v1/me/totp')))) setEnrol(r);
  }
  async function verify(e: FormEvent) {
    e.preventDefault();
    let codes: string[] = [];
    const ok = await s.run(async () => {
      codes = (await client.post<{ recovery_codes: string[] }>('/api/v1/me/totp/verify', { code: code.trim() })).recovery_codes;
    });
    if (ok) {
      setRecovery(codes);
      setEnrol(null);
      setCode('');
      onChanged();
    }
  }
  async function disable(e: FormEvent) {
    e.preventDefault();
    const ok = await s.run(() =>
      client.request('DELETE', '/api/v1/me/totp', { body: { password, ...(code ? { code: code.trim() } : {}) } }),
    );
    if (ok) {
      setPassword('');
      setCode('');
      onChanged();
    }
  }

  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={3} size="h4">
          Two-factor sign-in
        </Title>
        {recovery && (
          <Alert color="yellow" title="Keep these recovery codes somewhere safe">
            <Text size="sm">Each one signs you in once if you lose your authenticator. They are shown only now.</Text>
            <UL size="sm" data-testid="recovery-codes">
              {recovery.map((c) => (
                <UL.Item key={c}>
                  <Code>{c}</Code>
                </UL.Item>
              ))}
            </UL>
          </Alert>
        )}
        {enabled ? (
          <form onSubmit={disable} noValidate>
            <Stack gap="sm">
              <Text size="sm">Two-factor sign-in is on. To turn it off, confirm with your password and a current code.</Text>
              <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={s.fields.password} />
              <TextInput label="Current code" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.currentTarget.value)} error={s.fields.code} />
              {!Object.keys(s.fields).length && <ErrorBox error={s.error} />}
              <Button type="submit" color="red" variant="light" w="fit-content" loading={s.busy}>
                Turn off two-factor sign-in
              </Button>
            </Stack>
          </form>
        ) : enrol ? (
          <form onSubmit={verify} noValidate>
            <Stack gap="sm">
              <Text size="sm">Scan this code with your authenticator app, or type the secret, then enter the code it shows.</Text>
              {qr && <Image src={qr} alt="QR code to scan with an authenticator app" className="qr" />}
              <Text size="sm">
                Secret: <Code data-testid="totp-secret">{enrol.secret}</Code>
              </Text>
              <TextInput label="Code from the app" autoComplete="one-time-code" inputMode="numeric" value={code} onChange={(e) => setCode(e.currentTarget.value)} error={s.fields.code} />
              {!Object.keys(s.fields).length && <ErrorBox error={s.error} />}
              <Button type="submit" w="fit-content" loading={s.busy}>
                Turn on
              </Button>
            </Stack>
          </form>
        ) : (
          <>
            <Text size="sm">Two-factor sign-in is off.</Text>
            <ErrorBox error={s.error} />
            <Button onClick={() => void start()} w="fit-content" loading={s.busy}>
              Set up an authenticator app
            </Button>
          </>
        )}
      </Stack>
    </Card>
  );
}
