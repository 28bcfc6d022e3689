// Sessions: mine (admins may list everyone's) and revoking them.
import { Badge, Button, Switch, Table, Text } from '@mantine/core';
import { useState } from 'react';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import { useLoad, useSubmit, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';

interface Sess {
  id: string;
  username: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  remote_addr: string | null;
  user_agent: string | null;
  revoked_at: string | null;
  current: boolean;
}

export function SessionList() {
  const { client, can, signOutEverywhere } = useSession();
  const [all, setAll] = useState(false);
  const list = useLoad(() => client.get<List<Sess>>('/api/v1/sessions', { limit: 200, all: all || undefined }), [all]);
  const s = useSubmit();
  async function revoke(x: Sess) {
    await s.run(() => client.del(`/api/v1/sessions/${x.id}`));
    list.reload();
  }
  return (
    <>
      {can('admin') && <Switch label="Everyone's sessions" checked={all} onChange={(e) => setAll(e.currentTarget.checked)} />}
      <ErrorBox error={list.error || s.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped aria-label="Sessions">
          <Table.Thead>
            <Table.Tr>
              {all && <Table.Th>User</Table.Th>}
              <Table.Th>Browser</Table.Th>
              <Table.Th>Address</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((x) => (
              <Table.Tr key={x.id}>
                {all && <Table.Td>{x.username}</Table.Td>}
                <Table.Td>
                  <Text size="sm" lineClamp={1} maw={320}>
                    {x.user_agent ?? '—'}
                  </Text>
                  {x.current && <Badge size="xs">this one</Badge>}
                </Table.Td>
                <Table.Td>{x.remote_addr ?? '—'}</Table.Td>
                <Table.Td>{when(x.last_used_at)}</Table.Td>
                <Table.Td>{when(x.expires_at)}</Table.Td>
                <Table.Td>
                  {x.revoked_at ? (
                    <Badge color="gray">revoked</Badge>
                  ) : (
                    !x.current && (
                      <Button size="compact-sm" variant="light" color="red" onClick={() => void revoke(x)}>
                        Revoke
                      </Button>
                    )
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Button color="red" variant="light" w="fit-content" onClick={() => void s.run(signOutEverywhere)}>
        Sign out everywhere
      </Button>
    </>
  );
}

export default function Sessions() {
  return (
    <Page title="Sessions">
      <SessionList />
    </Page>
  );
}
