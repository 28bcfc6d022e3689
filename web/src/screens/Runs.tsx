// Runs: the list with filters (job, state, since/until), live through the
// events stream.
import { Button, Group, Select, Table, Text, TextInput } from '@mantine/core';
import { useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import type { Job, Run } from '../auto/types';
import { useEvents } from '../events/hub';
import { useLoad, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';
import { StateBadge } from './Jobs';

const states = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'timed_out'];

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** "2026-11-23" from a date input -> an RFC 3339 instant (local midnight). */
const day = (d: string, end = false) => (d ? new Date(`${d}T${end ? '23:59:59' : '00:00:00'}`).toISOString() : undefined);

export default function Runs() {
  const { client } = useSession();
  const [sp, setSp] = useSearchParams();
  const job = sp.get('job') ?? '';
  const status = sp.get('status') ?? '';
  const since = sp.get('since') ?? '';
  const until = sp.get('until') ?? '';
  const [cursor, setCursor] = useState<string | null>(null);
  const jobs = useLoad(() => client.get<List<Job>>('/api/v1/jobs', { limit: 200 }), []);
  const list = useLoad(
    () => client.get<List<Run>>('/api/v1/runs', { job, status, since: day(since), until: day(until, true), limit: 50, cursor }),
    [job, status, since, until, cursor],
  );
  const set = (k: string, v: string | null) => {
    const n = new URLSearchParams(sp);
    if (v) n.set(k, v);
    else n.delete(k);
    setSp(n, { replace: true });
    setCursor(null);
  };
  // State changes of runs reload the page (at most twice a second).
  const t = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEvents(['run'], () => {
    if (t.current) return;
    t.current = setTimeout(() => {
      t.current = null;
      list.reload();
    }, 500);
  });
  return (
    <Page title="Runs">
      <Group align="flex-end">
        <Select label="Job" clearable searchable data={(jobs.data?.items ?? []).map((j) => ({ value: j.id, label: j.name }))} value={job || null} onChange={(v) => set('job', v)} w={240} />
        <Select label="State" clearable data={states} value={status || null} onChange={(v) => set('status', v)} w={150} />
        <TextInput label="Since" type="date" value={since} onChange={(e) => set('since', e.currentTarget.value)} />
        <TextInput label="Until" type="date" value={until} onChange={(e) => set('until', e.currentTarget.value)} />
      </Group>
      <ErrorBox error={list.error} />
      <Table.ScrollContainer minWidth={700}>
        <Table striped aria-label="Runs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Job</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Targets</Table.Th>
              <Table.Th>Trigger</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Duration</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  <Text component={Link} to={`/runs/${r.id}`} size="sm" fw={600}>
                    {r.job_name}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <StateBadge state={r.state} />
                </Table.Td>
                <Table.Td>
                  {r.targets_succeeded}/{r.targets_total} ok{r.targets_failed ? `, ${r.targets_failed} failed` : ''}
                </Table.Td>
                <Table.Td>
                  {r.trigger}
                  {r.created_by_name ? ` by ${r.created_by_name}` : ''}
                </Table.Td>
                <Table.Td>{when(r.created_at)}</Table.Td>
                <Table.Td>{duration(r.duration_ms)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.data && list.data.items.length === 0 && <Text c="dimmed">No runs match.</Text>}
      <Group>
        {cursor && (
          <Button variant="default" onClick={() => setCursor(null)}>
            First page
          </Button>
        )}
        {list.data?.next && (
          <Button variant="default" onClick={() => setCursor(list.data!.next)}>
            Older runs
          </Button>
        )}
      </Group>
    </Page>
  );
}
