// Users (admin): create, change role, disable, unlock, reset password.
import { Badge, Button, Group, Modal, PasswordInput, Select, Stack, Switch, Table, TextInput } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import { useLoad, useSubmit, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';

export interface User {
  id: string;
  username: string;
  display_name: string | null;
  email: string | null;
  role: string;
  disabled: boolean;
  totp_enabled: boolean;
  created_at: string;
  version: number;
}

const ROLES = ['viewer', 'operator', 'admin'];

export default function Users() {
  const { client } = useSession();
  const list = useLoad(() => client.get<List<User>>('/api/v1/users', { limit: 200 }), []);
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  const s = useSubmit();
  async function remove(u: User) {
    if (!window.confirm(`Delete user ${u.username}?`)) return;
    await s.run(() => client.del(`/api/v1/users/${u.id}`));
    list.reload();
  }
  return (
    <Page
      title="Users"
      actions={
        <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
          New user
        </Button>
      }
    >
      <ErrorBox error={list.error || s.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped aria-label="Users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>User</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td>
                  {u.username}
                  {u.display_name ? ` (${u.display_name})` : ''}
                </Table.Td>
                <Table.Td>
                  <Badge variant="light">{u.role}</Badge>
                </Table.Td>
                <Table.Td>
                  {u.disabled ? <Badge color="gray">disabled</Badge> : <Badge color="green">active</Badge>}{' '}
                  {u.totp_enabled && <Badge variant="outline">2FA</Badge>}
                </Table.Td>
                <Table.Td>{when(u.created_at)}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button size="compact-sm" variant="default" onClick={() => setEditing(u)}>
                      Edit
                    </Button>
                    <Button size="compact-sm" color="red" variant="light" onClick={() => void remove(u)}>
                      Delete
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New user' : 'Edit user'}>
        {editing !== null && (
          <UserForm
            user={editing === 'new' ? null : editing}
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

function UserForm({ user, onDone }: { user: User | null; onDone: () => void }) {
  const { client } = useSession();
  const [v, setV] = useState({
    username: user?.username ?? '',
    display_name: user?.display_name ?? '',
    email: user?.email ?? '',
    role: user?.role ?? 'viewer',
    password: '',
    disabled: user?.disabled ?? false,
    unlock: false,
  });
  const s = useSubmit();
  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, unknown> = {
      display_name: v.display_name || null,
      email: v.email || null,
      role: v.role,
      disabled: v.disabled,
    };
    if (v.password) body.password = v.password;
    if (user && v.unlock) body.unlock = true;
    if (!user) body.username = v.username;
    if (await s.run(() => (user ? client.patch(`/api/v1/users/${user.id}`, body, `"${user.version}"`) : client.post('/api/v1/users', body)))) onDone();
  }
  return (
    <form onSubmit={submit} noValidate autoComplete="off">
      <Stack gap="sm">
        <TextInput label="Username" required disabled={!!user} value={v.username} onChange={(e) => setV({ ...v, username: e.currentTarget.value })} error={s.fields.username} />
        <TextInput label="Display name" value={v.display_name} onChange={(e) => setV({ ...v, display_name: e.currentTarget.value })} error={s.fields.display_name} />
        <TextInput label="Email" type="email" value={v.email} onChange={(e) => setV({ ...v, email: e.currentTarget.value })} error={s.fields.email} />
        <Select label="Role" data={ROLES} value={v.role} allowDeselect={false} onChange={(x) => setV({ ...v, role: x ?? 'viewer' })} error={s.fields.role} />
        <PasswordInput
          label={user ? 'New password (empty: unchanged)' : 'Password'}
          autoComplete="new-password"
          required={!user}
          value={v.password}
          onChange={(e) => setV({ ...v, password: e.currentTarget.value })}
          error={s.fields.password}
        />
        <Switch label="Disabled" checked={v.disabled} onChange={(e) => setV({ ...v, disabled: e.currentTarget.checked })} />
        {user && <Switch label="Unlock after failed sign-ins" checked={v.unlock} onChange={(e) => setV({ ...v, unlock: e.currentTarget.checked })} />}
        {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not saved" />}
        <Group justify="flex-end">
          <Button type="submit" loading={s.busy}>
            {user ? 'Save' : 'Create user'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
