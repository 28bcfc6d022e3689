// The dashboard's automation part: runs running and queued, runs per day
// with the success rate (a small SVG chart), recent failures, next
// scheduled runs; kept current by run events.
import { Badge, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useRef } from 'react';
import { Link } from 'react-router-dom';
import type { ApiClient, List } from '../api/client';
import { useSession } from '../auth/session';
import { countByDay, successRate, type DayCount } from '../auto/runStats';
import type { Run, Schedule } from '../auto/types';
import { useEvents } from '../events/hub';
import { useLoad, when } from '../ui/hooks';

const DAYS = 14;

async function recentRuns(client: ApiClient): Promise<Run[]> {
  const since = new Date(Date.now() - DAYS * 86400e3).toISOString();
  const out: Run[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10; page++) {
    const l: List<Run> = await client.get<List<Run>>('/api/v1/runs', { since, limit: 200, cursor });
    out.push(...l.items);
    if (!l.next) break;
    cursor = l.next;
  }
  return out;
}

export function RunChart({ days }: { days: DayCount[] }) {
  const w = 1000;
  const h = 170;
  const pad = 20;
  const max = Math.max(1, ...days.map((d) => d.succeeded + d.failed + d.other));
  const bw = (w - pad) / days.length;
  const y = (n: number) => ((h - pad) * n) / max;
  return (
    <svg viewBox={`0 0 ${w} ${h}`} width="100%" height={h} role="img" aria-label="Runs per day" data-testid="run-chart">
      <text x={0} y={10} fontSize={10} fill="#868e96">
        {max}
      </text>
      {days.map((d, i) => {
        const x = pad + i * bw + 2;
        const parts: [number, string][] = [
          [d.succeeded, '#40c057'],
          [d.failed, '#fa5252'],
          [d.other, '#adb5bd'],
        ];
        let top = h - pad;
        return (
          <g key={d.day}>
            <title>{`${d.day}: ${d.succeeded} succeeded, ${d.failed} failed, ${d.other} other`}</title>
            {parts.map(([n, c], j) => {
              const hh = y(n);
              top -= hh;
              return n ? <rect key={j} x={x} y={top} width={bw - 4} height={hh} fill={c} /> : null;
            })}
            {i % 2 === days.length % 2 && (
              <text x={x + (bw - 4) / 2} y={h - 6} fontSize={9} textAnchor="middle" fill="#868e96">
                {d.day.slice(5)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export function DashRuns() {
  const { client } = useSession();
  const live = useLoad(async () => {
    const [running, queued, failed] = await Promise.all([
      client.get<List<Run>>('/api/v1/runs', { status: 'running', limit: 10 }),
      client.get<List<Run>>('/api/v1/runs', { status: 'queued', limit: 10 }),
      client.get<List<Run>>('/api/v1/runs', { status: 'failed', limit: 5 }),
    ]);
    return { running, queued, failed };
  }, []);
  const history = useLoad(() => recentRuns(client), []);
  const schedules = useLoad(() => client.get<List<Schedule>>('/api/v1/schedules', { enabled: true, limit: 200 }), []);
  const t = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEvents(['run'], () => {
    if (t.current) return;
    t.current = setTimeout(() => {
      t.current = null;
      live.reload();
      history.reload();
    }, 1000);
  });
  const days = countByDay(history.data ?? [], DAYS);
  const rate = successRate(days);
  const next = (schedules.data?.items ?? [])
    .filter((s) => s.next_fire_at)
    .sort((a, b) => (a.next_fire_at! < b.next_fire_at! ? -1 : 1))
    .slice(0, 5);
  const runLine = (r: Run) => (
    <Group key={r.id} justify="space-between" wrap="nowrap">
      <Text size="sm" truncate component={Link} to={`/runs/${r.id}`}>
        {r.job_name}
      </Text>
      <Text size="xs" c="dimmed">
        {when(r.created_at)}
      </Text>
    </Group>
  );
  return (
    <>
      <SimpleGrid cols={{ base: 1, xs: 3 }}>
        <Card withBorder padding="md" component={Link} to="/runs?status=running">
          <Text size="sm" c="dimmed">Runs running</Text>
          <Text size="xl" fw={700} data-testid="stat-Running">
            {live.data?.running.total ?? '…'}
          </Text>
        </Card>
        <Card withBorder padding="md" component={Link} to="/runs?status=queued">
          <Text size="sm" c="dimmed">Runs queued</Text>
          <Text size="xl" fw={700} data-testid="stat-Queued">
            {live.data?.queued.total ?? '…'}
          </Text>
        </Card>
        <Card withBorder padding="md">
          <Text size="sm" c="dimmed">Success rate ({DAYS} days)</Text>
          <Text size="xl" fw={700} data-testid="stat-Success">
            {rate === null ? '—' : `${Math.round(rate * 100)} %`}
          </Text>
        </Card>
      </SimpleGrid>
      <Card withBorder>
        <Title order={3} size="h4">
          Runs per day
        </Title>
        <RunChart days={days} />
      </Card>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Card withBorder>
          <Stack gap="xs">
            <Title order={3} size="h4">
              Running now
            </Title>
            {live.data?.running.items.length === 0 && <Text size="sm" c="dimmed">Nothing is running.</Text>}
            {live.data?.running.items.map(runLine)}
          </Stack>
        </Card>
        <Card withBorder>
          <Stack gap="xs">
            <Title order={3} size="h4">
              Recent failures
            </Title>
            {live.data?.failed.items.length === 0 && <Text size="sm" c="dimmed">No failed runs.</Text>}
            {live.data?.failed.items.map(runLine)}
          </Stack>
        </Card>
        <Card withBorder>
          <Stack gap="xs">
            <Title order={3} size="h4">
              Next scheduled runs
            </Title>
            {schedules.data && next.length === 0 && <Text size="sm" c="dimmed">No schedule is enabled.</Text>}
            {next.map((s) => (
              <Group key={s.id} justify="space-between" wrap="nowrap">
                <Text size="sm" truncate>
                  {s.job_name}
                </Text>
                <Badge variant="light">{when(s.next_fire_at)}</Badge>
              </Group>
            ))}
          </Stack>
        </Card>
      </SimpleGrid>
    </>
  );
}
