// API keys: create (the key is shown once), list, revoke.
import { Alert, Badge, Button, Code, CopyButton, Group, Modal, Select, Stack, Switch, Table, TextInput } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import type { List, Role } from '../api/client';
import { useSession } from '../auth/session';
import { useLoad, useSubmit, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';

interface Key {
  id: string;
  name: string;
  role: string;
  created_at: string;
  expires_at: string | null;
  username?: string;
}

const ROLES: Role[] = ['viewer', 'operator', 'admin'];

export default function ApiKeys() {
  const { client, can, user } = useSession();
  const [all, setAll] = useState(false);
  const list = useLoad(() => client.get<List<Key>>('/api/v1/api-keys', { limit: 200, all: all || undefined }), [all]);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<string>('viewer');
  const [expires, setExpires] = useState('');
  const s = useSubmit();
  const del = useSubmit();

  async function create(e: FormEvent) {
    e.preventDefault();
    let key = '';
    const ok = await s.run(async () => {
      const r = await client.post<{ key: string }>('/api/v1/api-keys', {
        name,
        role,
        expires_at: expires ? new Date(expires).toISOString() : null,
      });
      key = r.key;
    });
    if (ok) {
      setShown(key);
      setName('');
      list.reload();
    }
  }
  async function revoke(k: Key) {
    if (!window.confirm(`Revoke API key ${k.name}?`)) return;
    await del.run(() => client.del(`/api/v1/api-keys/${k.id}`));
    list.reload();
  }
  // A key may have at most the role of its owner.
  const roles = ROLES.filter((r) => can(r));
  return (
    <Page
      title="API keys"
      actions={
        <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
          New API key
        </Button>
      }
    >
      {can('admin') && <Switch label="Everyone's keys" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} />}
      <ErrorBox error={list.error || del.error} />
      <Table.ScrollContainer minWidth={500}>
        <Table striped aria-label="API keys">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((k) => (
              <Table.Tr key={k.id}>
                <Table.Td>
                  {k.name}
                  {k.username && k.username !== user?.username ? ` (${k.username})` : ''}
                </Table.Td>
                <Table.Td>
                  <Badge variant="light">{k.role}</Badge>
                </Table.Td>
                <Table.Td>{when(k.created_at)}</Table.Td>
                <Table.Td>{k.expires_at ? when(k.expires_at) : 'never'}</Table.Td>
                <Table.Td>
                  <Button size="compact-sm" color="red" variant="light" onClick={() => void revoke(k)}>
                    Revoke
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Modal
        opened={creating}
        onClose={() => {
          setCreating(false);
          setShown(null);
        }}
        title="New API key"
      >
        {shown ? (
          <Stack>
            <Alert color="yellow" title="Copy the key now">
              It is shown only this once.
            </Alert>
            <Code block data-testid="new-key">
              {shown}
            </Code>
            <CopyButton value={shown}>{({ copied, copy }) => <Button onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
          </Stack>
        ) : (
          <form onSubmit={create} noValidate>
            <Stack gap="sm">
              <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
              <Select label="Role" data={roles} value={role} allowDeselect={false} onChange={(x) => setRole(x ?? 'viewer')} error={s.fields.role} />
              <TextInput label="Expires (optional)" type="datetime-local" value={expires} onChange={(e) => setExpires(e.currentTarget.value)} error={s.fields.expires_at} />
              {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not created" />}
              <Group justify="flex-end">
                <Button type="submit" loading={s.busy}>
                  Create key
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </Page>
  );
}
