// Shared pieces of every screen: page header, error box, empty state,
// confirmation.
import { Alert, Group, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle, IconInfoCircle } from '@tabler/icons-react';
import type { ReactNode } from 'react';

export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>{title}</Title>
        {actions && <Group gap="xs">{actions}</Group>}
      </Group>
      {children}
    </Stack>
  );
}

export function ErrorBox({ error, title = 'That did not work' }: { error: string | null; title?: string }) {
  if (!error) return null;
  return (
    <Alert color="red" title={title} icon={<IconAlertTriangle aria-hidden />} role="alert">
      {error}
    </Alert>
  );
}

export function Note({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Alert color="gray" title={title} icon={<IconInfoCircle aria-hidden />}>
      <Text size="sm">{children}</Text>
    </Alert>
  );
}
