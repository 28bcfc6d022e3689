// Credentials: metadata listed, secrets write-only (typed in, never shown).
import { Alert, Badge, Button, Group, Modal, PasswordInput, Select, Stack, Table, Text, Textarea, TextInput } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import type { List } from '../api/client';
import { ApiError } from '../api/problem';
import { useSession } from '../auth/session';
import { useLoad, useSubmit, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';
import type { Credential } from './types';

const TYPES = [
  { value: 'ssh_password', label: 'SSH password' },
  { value: 'ssh_key', label: 'SSH key' },
  { value: 'winrm', label: 'WinRM (Windows)' },
  { value: 'api_token', label: 'API token' },
  { value: 'smtp', label: 'SMTP' },
];

export default function Credentials() {
  const { client, can } = useSession();
  const operator = can('operator');
  const list = useLoad(() => client.get<List<Credential>>('/api/v1/credentials', { limit: 200 }), []);
  const [editing, setEditing] = useState<Credential | 'new' | null>(null);
  const s = useSubmit();

  async function remove(c: Credential) {
    if (!window.confirm(`Delete credential ${c.name}?`)) return;
    await s.run(async () => {
      try {
        await client.del(`/api/v1/credentials/${c.id}`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 409 && can('admin') &&
            window.confirm(`${c.name} is used by targets. Delete it anyway and detach them?`)) {
          await client.del(`/api/v1/credentials/${c.id}`, { force: true });
          return;
        }
        throw e;
      }
    });
    list.reload();
  }

  return (
    <Page
      title="Credentials"
      actions={
        operator && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New credential
          </Button>
        )
      }
    >
      <ErrorBox error={list.error || s.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped aria-label="Credentials">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>User</Table.Th>
              <Table.Th>Key</Table.Th>
              <Table.Th>Used by</Table.Th>
              <Table.Th>Changed</Table.Th>
              {operator && <Table.Th>Actions</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td>
                  <Badge variant="light">{c.type}</Badge>
                </Table.Td>
                <Table.Td>{c.username ?? '—'}</Table.Td>
                <Table.Td>
                  <Text size="xs" ff="monospace">
                    {c.key_fingerprint ? `${c.key_type} ${c.key_fingerprint}` : '—'}
                  </Text>
                </Table.Td>
                <Table.Td>{c.used_by_targets} target(s)</Table.Td>
                <Table.Td>
                  {when(c.updated_at)} {c.updated_by ? `by ${c.updated_by.username}` : ''}
                </Table.Td>
                {operator && (
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button size="compact-sm" variant="default" onClick={() => setEditing(c)}>
                        Edit
                      </Button>
                      <Button size="compact-sm" color="red" variant="light" onClick={() => void remove(c)}>
                        Delete
                      </Button>
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.data && list.data.items.length === 0 && <Text c="dimmed">No credentials yet.</Text>}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New credential' : 'Edit credential'} size="lg">
        {editing !== null && (
          <CredentialForm
            cred={editing === 'new' ? null : editing}
            onDone={() => {
              setEditing(null);
              list.reload();
            }}
          />
        )}
      </Modal>
    </Page>
  );
}

export function CredentialForm({ cred, onDone }: { cred: Credential | null; onDone: () => void }) {
  const { client } = useSession();
  const [type, setType] = useState(cred?.type ?? 'ssh_password');
  const [v, setV] = useState<Record<string, string>>({
    name: cred?.name ?? '',
    username: cred?.username ?? '',
    domain: cred?.domain ?? '',
    description: cred?.description ?? '',
  });
  const s = useSubmit();
  const set = (k: string) => (e: { currentTarget: { value: string } }) => setV({ ...v, [k]: e.currentTarget.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, unknown> = { name: v.name, description: v.description };
    if (type !== 'api_token') body.username = v.username || null;
    if (type === 'winrm') body.domain = v.domain || null;
    // Secrets are sent only when typed: an empty field keeps the old one.
    for (const k of ['password', 'private_key', 'passphrase', 'token']) if (v[k]) body[k] = v[k];
    if (!cred) body.type = type;
    const ok = await s.run(() =>
      cred ? client.patch(`/api/v1/credentials/${cred.id}`, body, `"${cred.version}"`) : client.post('/api/v1/credentials', body),
    );
    if (ok) onDone();
  }

  const needPw = type === 'ssh_password' || type === 'winrm' || type === 'smtp';
  return (
    <form onSubmit={submit} noValidate autoComplete="off">
      <Stack gap="sm">
        <TextInput label="Name" required value={v.name} onChange={set('name')} error={s.fields.name} />
        <Select label="Type" data={TYPES} value={type} onChange={(x) => setType(x ?? 'ssh_password')} disabled={!!cred} allowDeselect={false} error={s.fields.type} />
        {type !== 'api_token' && <TextInput label="User name" value={v.username} onChange={set('username')} error={s.fields.username} />}
        {type === 'winrm' && <TextInput label="Domain (optional)" value={v.domain} onChange={set('domain')} error={s.fields.domain} />}
        {needPw && (
          <PasswordInput
            label="Password"
            description={cred ? 'Leave empty to keep the stored password' : undefined}
            autoComplete="new-password"
            value={v.password ?? ''}
            onChange={set('password')}
            error={s.fields.password}
          />
        )}
        {type === 'ssh_key' && (
          <>
            <Textarea
              label="Private key (OpenSSH or PEM)"
              description={cred ? 'Leave empty to keep the stored key' : 'ed25519 or ECDSA keys are recommended'}
              autosize
              minRows={4}
              styles={{ input: { fontFamily: 'monospace' } }}
              value={v.private_key ?? ''}
              onChange={set('private_key')}
              error={s.fields.private_key}
            />
            <PasswordInput label="Passphrase (optional)" autoComplete="new-password" value={v.passphrase ?? ''} onChange={set('passphrase')} error={s.fields.passphrase} />
          </>
        )}
        {type === 'api_token' && (
          <PasswordInput label="Token" autoComplete="off" value={v.token ?? ''} onChange={set('token')} error={s.fields.token} />
        )}
        <Textarea label="Description" value={v.description} onChange={set('description')} error={s.fields.description} />
        <Alert color="gray" variant="light">
          Secrets are write-only: they are stored sealed and never shown again.
        </Alert>
        {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not saved" />}
        <Group justify="flex-end">
          <Button type="submit" loading={s.busy}>
            {cred ? 'Save' : 'Create credential'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
