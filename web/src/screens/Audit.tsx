// The audit log (admins): who did what to which entity, filtered by actor,
// action, entity and time, with what changed (before/after) per row.
import { Badge, Button, Code, Group, Select, SimpleGrid, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { Fragment, useState } from 'react';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import { useLoad, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';

export interface AuditRow {
  id: string;
  at: string;
  actor_id: string | null;
  actor_name: string | null;
  via_api_key: boolean;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before: unknown;
  after: unknown;
  source_addr: string | null;
  request_id: string | null;
}

/** The top-level fields whose value differs between before and after. */
export function changedKeys(before: unknown, after: unknown): string[] {
  const b = (before && typeof before === 'object' ? before : {}) as Record<string, unknown>;
  const a = (after && typeof after === 'object' ? after : {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  return [...keys].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k])).sort();
}

const day = (d: string, end = false) => (d ? new Date(`${d}T${end ? '23:59:59' : '00:00:00'}`).toISOString() : undefined);

export default function Audit() {
  const { client } = useSession();
  const users = useLoad(() => client.get<List<{ id: string; username: string }>>('/api/v1/users', { limit: 200 }), []);
  const [actor, setActor] = useState<string | null>(null);
  const [action, setAction] = useState('');
  const [entityType, setEntityType] = useState('');
  const [entityId, setEntityId] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [cursor, setCursor] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [f] = useDebouncedValue({ action, entityType, entityId }, 300);
  const list = useLoad(
    () =>
      client.get<List<AuditRow>>('/api/v1/audit', {
        actor,
        action: f.action,
        entity_type: f.entityType,
        entity_id: f.entityId,
        since: day(since),
        until: day(until, true),
        limit: 50,
        cursor,
      }),
    [actor, f.action, f.entityType, f.entityId, since, until, cursor],
  );
  const reset = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setCursor(null);
  };
  return (
    <Page title="Audit log">
      <SimpleGrid cols={{ base: 2, md: 6 }}>
        <Select label="Actor" clearable searchable data={[{ value: 'system', label: 'system' }, ...(users.data?.items ?? []).map((u) => ({ value: u.id, label: u.username }))]} value={actor} onChange={reset(setActor)} />
        <TextInput label="Action" placeholder="job.create" value={action} onChange={(e) => reset(setAction)(e.currentTarget.value)} />
        <TextInput label="Entity type" placeholder="target" value={entityType} onChange={(e) => reset(setEntityType)(e.currentTarget.value)} />
        <TextInput label="Entity id" value={entityId} onChange={(e) => reset(setEntityId)(e.currentTarget.value)} />
        <TextInput label="Since" type="date" value={since} onChange={(e) => reset(setSince)(e.currentTarget.value)} />
        <TextInput label="Until" type="date" value={until} onChange={(e) => reset(setUntil)(e.currentTarget.value)} />
      </SimpleGrid>
      <ErrorBox error={list.error} />
      {list.data && (
        <Text size="sm" c="dimmed">
          {list.data.total} entr{list.data.total === 1 ? 'y' : 'ies'}
        </Text>
      )}
      <Table.ScrollContainer minWidth={800}>
        <Table striped aria-label="Audit log">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Who</Table.Th>
              <Table.Th>Action</Table.Th>
              <Table.Th>Entity</Table.Th>
              <Table.Th>Changed</Table.Th>
              <Table.Th>From</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((r) => (
              <Fragment key={r.id}>
                <Table.Tr onClick={() => setOpen(open === r.id ? null : r.id)} style={{ cursor: 'pointer' }}>
                  <Table.Td>{when(r.at)}</Table.Td>
                  <Table.Td>
                    {r.actor_name ?? '—'} {r.via_api_key && <Badge size="xs" variant="light">API key</Badge>}
                  </Table.Td>
                  <Table.Td>
                    <Code>{r.action}</Code>
                  </Table.Td>
                  <Table.Td>
                    {r.entity_type}
                    <Text size="xs" c="dimmed">
                      {r.entity_id}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{changedKeys(r.before, r.after).join(', ') || '—'}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{r.source_addr}</Text>
                  </Table.Td>
                </Table.Tr>
                {open === r.id && (
                  <Table.Tr>
                    <Table.Td colSpan={6}>
                      <SimpleGrid cols={2}>
                        <div>
                          <Text size="xs" fw={600}>
                            Before
                          </Text>
                          <pre style={{ fontSize: 11, maxHeight: 300, overflow: 'auto' }}>{JSON.stringify(r.before, null, 2)}</pre>
                        </div>
                        <div>
                          <Text size="xs" fw={600}>
                            After
                          </Text>
                          <pre style={{ fontSize: 11, maxHeight: 300, overflow: 'auto' }}>{JSON.stringify(r.after, null, 2)}</pre>
                        </div>
                      </SimpleGrid>
                      <Text size="xs" c="dimmed">
                        request {r.request_id}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group>
        {cursor && (
          <Button variant="default" onClick={() => setCursor(null)}>
            First page
          </Button>
        )}
        {list.data?.next && (
          <Button variant="default" onClick={() => setCursor(list.data!.next)}>
            Older entries
          </Button>
        )}
      </Group>
    </Page>
  );
}
