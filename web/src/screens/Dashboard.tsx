// Dashboard: health of every component, target counts and the
// unreachable ones, runs (live, per day, failures) and next schedules.
import { Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import { useLoad } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';
import { DashRuns } from './DashRuns';
import type { Target } from './types';

interface Health {
  status: string;
  database: string;
  required: string[];
  components: { kind: string; id: string; role: string; state: string; heartbeat_age_s: number }[];
}

function Stat({ label, value, to }: { label: string; value: number | string; to?: string }) {
  const body = (
    <>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700} data-testid={`stat-${label}`}>
        {value}
      </Text>
    </>
  );
  if (to)
    return (
      <Card withBorder padding="md" component={Link} to={to}>
        {body}
      </Card>
    );
  return (
    <Card withBorder padding="md">
      {body}
    </Card>
  );
}

export function Dashboard() {
  const { client } = useSession();
  const health = useLoad(async () => {
    // 503 still carries the component list.
    try {
      return await client.get<Health>('/api/v1/health');
    } catch (e) {
      const p = (e as { problem?: Health }).problem;
      if (p && Array.isArray(p.components)) return p;
      throw e;
    }
  }, []);
  const counts = useLoad(async () => {
    const [all, unreachable, failed] = await Promise.all([
      client.get<List<Target>>('/api/v1/targets', { limit: 1 }),
      client.get<List<Target>>('/api/v1/targets', { reachability: 'unreachable', limit: 10 }),
      client.get<List<Target>>('/api/v1/targets', { reachability: 'auth_failed', limit: 10 }),
    ]);
    return { all, unreachable, failed };
  }, []);

  const kinds = new Map<string, { up: number; total: number }>();
  for (const c of health.data?.components ?? []) {
    const k = kinds.get(c.kind) ?? { up: 0, total: 0 };
    k.total++;
    if (c.state === 'up') k.up++;
    kinds.set(c.kind, k);
  }

  return (
    <Page title="Dashboard">
      <ErrorBox error={health.error || counts.error} title="Some numbers are missing" />
      <SimpleGrid cols={{ base: 1, xs: 3 }}>
        <Stat label="Targets" value={counts.data?.all.total ?? '…'} to="/targets" />
        <Stat label="Unreachable" value={counts.data?.unreachable.total ?? '…'} to="/targets?reachability=unreachable" />
        <Stat label="Authentication failed" value={counts.data?.failed.total ?? '…'} to="/targets?reachability=auth_failed" />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Stack gap="xs">
            <Group justify="space-between">
              <Title order={3} size="h4">
                Health
              </Title>
              {health.data && (
                <Badge color={health.data.status === 'ok' ? 'green' : 'red'} data-testid="health-status">
                  {health.data.status}
                </Badge>
              )}
            </Group>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Component</Table.Th>
                  <Table.Th>Up</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {health.data && (
                  <Table.Tr>
                    <Table.Td>database</Table.Td>
                    <Table.Td>
                      <Badge color={health.data.database === 'up' ? 'green' : 'red'}>{health.data.database}</Badge>
                    </Table.Td>
                  </Table.Tr>
                )}
                {[...kinds.entries()].map(([k, v]) => (
                  <Table.Tr key={k}>
                    <Table.Td>{k}</Table.Td>
                    <Table.Td>
                      <Badge color={v.up > 0 ? 'green' : 'red'}>
                        {v.up} of {v.total}
                      </Badge>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Stack>
        </Card>
        <Card withBorder>
          <Stack gap="xs">
            <Title order={3} size="h4">
              Targets needing attention
            </Title>
            {counts.data && counts.data.unreachable.items.length + counts.data.failed.items.length === 0 && (
              <Text size="sm" c="dimmed">
                None: no target failed its last connection test.
              </Text>
            )}
            {counts.data &&
              [...counts.data.unreachable.items, ...counts.data.failed.items].map((t) => (
                <Group key={t.id} justify="space-between" wrap="nowrap">
                  <Text size="sm" truncate>
                    {t.name} ({t.host})
                  </Text>
                  <Badge color="red" variant="light">
                    {t.reachability.replace('_', ' ')}
                  </Badge>
                </Group>
              ))}
          </Stack>
        </Card>
      </SimpleGrid>
      <DashRuns />
    </Page>
  );
}
