// Sign-in: username and password, then the one-time code (or a recovery
// code) when the account has two-factor sign-in on.
import { Anchor, Button, Card, Center, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/problem';
import { useSession } from '../auth/session';
import { useSubmit } from '../ui/hooks';
import { ErrorBox } from '../ui/parts';

export function SignIn() {
  const { client } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [step, setStep] = useState<'password' | 'totp'>('password');
  const s = useSubmit();

  async function submit(e: FormEvent) {
    e.preventDefault();
    let second: { totp_code?: string; recovery_code?: string } | undefined;
    if (step === 'totp') second = recovery ? { recovery_code: code.trim() } : { totp_code: code.trim() };
    await s.run(async () => {
      try {
        await client.login(username, password, second);
      } catch (err) {
        if (err instanceof ApiError && err.slug === 'totp-required') {
          setStep('totp');
          return;
        }
        throw err;
      }
    });
  }

  return (
    <Center mih="100vh" p="md">
      <Card withBorder shadow="sm" w={380} maw="100%" padding="lg" component="main">
        <form onSubmit={submit} noValidate>
          <Stack>
            <Title order={1} size="h3">
              Sign in to OpsConductor
            </Title>
            {step === 'password' ? (
              <>
                <TextInput
                  label="Username"
                  autoComplete="username"
                  required
                  value={username}
                  onChange={(e) => setUsername(e.currentTarget.value)}
                  error={s.fields.username}
                  autoFocus
                />
                <PasswordInput
                  label="Password"
                  autoComplete="current-password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.currentTarget.value)}
                  error={s.fields.password}
                />
              </>
            ) : (
              <>
                <Text size="sm">
                  {recovery
                    ? 'Enter one of your recovery codes.'
                    : 'Enter the 6-digit code from your authenticator app.'}
                </Text>
                <TextInput
                  label={recovery ? 'Recovery code' : 'One-time code'}
                  autoComplete="one-time-code"
                  inputMode={recovery ? 'text' : 'numeric'}
                  required
                  value={code}
                  onChange={(e) => setCode(e.currentTarget.value)}
                  error={s.fields.totp_code || s.fields.recovery_code}
                  autoFocus
                />
                <Anchor component="button" type="button" size="sm" onClick={() => setRecovery(!recovery)}>
                  {recovery ? 'Use the authenticator app instead' : 'Use a recovery code instead'}
                </Anchor>
              </>
            )}
            {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not signed in" />}
            <Button type="submit" loading={s.busy}>
              {step === 'password' ? 'Sign in' : 'Verify'}
            </Button>
          </Stack>
        </form>
      </Card>
    </Center>
  );
}
