// Jobs: the list (search, last run), the way to the builder and to
// starting a run.
import { Badge, Button, Group, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import { stateColor, type Job } from '../auto/types';
import { useLoad, useSubmit, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';

export function StateBadge({ state }: { state: string }) {
  return (
    <Badge color={stateColor[state] ?? 'gray'} variant="light" data-testid="state">
      {state.replace('_', ' ')}
    </Badge>
  );
}

export default function Jobs() {
  const { client, can } = useSession();
  const operator = can('operator');
  const nav = useNavigate();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const list = useLoad(() => client.get<List<Job>>('/api/v1/jobs', { q, limit: 200 }), [q]);
  const s = useSubmit();

  async function remove(j: Job) {
    if (!window.confirm(`Delete job ${j.name}? Its runs are kept.`)) return;
    await s.run(() => client.del(`/api/v1/jobs/${j.id}`));
    list.reload();
  }

  return (
    <Page
      title="Jobs"
      actions={
        operator && (
          <Button leftSection={<IconPlus size={16} />} component={Link} to="/jobs/new">
            New job
          </Button>
        )
      }
    >
      <TextInput placeholder="Search by name" value={search} onChange={(e) => setSearch(e.currentTarget.value)} aria-label="Search jobs" maw={320} />
      <ErrorBox error={list.error || s.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped aria-label="Jobs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Steps</Table.Th>
              <Table.Th>Version</Table.Th>
              <Table.Th>Last run</Table.Th>
              <Table.Th>Updated</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((j) => (
              <Table.Tr key={j.id}>
                <Table.Td>
                  <Text component={Link} to={`/jobs/${j.id}/edit`} fw={600} size="sm">
                    {j.name}
                  </Text>
                  {j.description && (
                    <Text size="xs" c="dimmed" lineClamp={1}>
                      {j.description}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{j.step_count ?? '—'}</Table.Td>
                <Table.Td>v{j.current_version}</Table.Td>
                <Table.Td>
                  {j.last_run ? (
                    <Link to={`/runs/${j.last_run.id}`}>
                      <StateBadge state={j.last_run.state} />
                    </Link>
                  ) : (
                    '—'
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{when(j.updated_at)}</Text>
                  <Text size="xs" c="dimmed">
                    {j.updated_by_name}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Button size="compact-sm" variant="default" onClick={() => nav(`/jobs/${j.id}/edit`)}>
                      {operator ? 'Edit' : 'View'}
                    </Button>
                    {operator && (
                      <>
                        <Button size="compact-sm" onClick={() => nav(`/jobs/${j.id}/run`)}>
                          Run
                        </Button>
                        <Button size="compact-sm" color="red" variant="light" onClick={() => void remove(j)}>
                          Delete
                        </Button>
                      </>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.data && list.data.items.length === 0 && <Text c="dimmed">No jobs yet.</Text>}
    </Page>
  );
}
