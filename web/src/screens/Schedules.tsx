// Schedules: the list (next fire, enable/pause) and the editor: cron with
// its reading in words and the next fire times previewed while typing,
// IANA time zone, overlap and misfire policies, the job's parameters.
import { Badge, Button, Group, Modal, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import type { List } from '../api/client';
import { problemText } from '../api/problem';
import { useSession } from '../auth/session';
import { describeCron } from '../auto/cronText';
import { ParamsForm, paramDefaults, paramValues } from '../auto/ParamsForm';
import type { Job, Schedule } from '../auto/types';
import { useLoad, useSubmit, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';

function zones(): string[] {
  try {
    const z = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone');
    if (z?.length) return z.includes('UTC') ? z : ['UTC', ...z];
  } catch {
    /* older engines */
  }
  return ['UTC'];
}

export default function Schedules() {
  const { client, can } = useSession();
  const operator = can('operator');
  const list = useLoad(() => client.get<List<Schedule>>('/api/v1/schedules', { limit: 200 }), []);
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  const s = useSubmit();

  async function toggle(x: Schedule) {
    await s.run(() => client.request('PATCH', `/api/v1/schedules/${x.id}`, { body: { enabled: !x.enabled }, ifMatch: `"${x.version}"` }));
    list.reload();
  }
  async function remove(x: Schedule) {
    if (!window.confirm(`Delete the schedule of ${x.job_name} (${x.cron})?`)) return;
    await s.run(() => client.del(`/api/v1/schedules/${x.id}`));
    list.reload();
  }

  return (
    <Page
      title="Schedules"
      actions={
        operator && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New schedule
          </Button>
        )
      }
    >
      <ErrorBox error={list.error || s.error} />
      <Table.ScrollContainer minWidth={700}>
        <Table striped aria-label="Schedules">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Job</Table.Th>
              <Table.Th>When</Table.Th>
              <Table.Th>Next</Table.Th>
              <Table.Th>State</Table.Th>
              {operator && <Table.Th>Actions</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((x) => (
              <Table.Tr key={x.id}>
                <Table.Td>
                  <Text component={Link} to={`/jobs/${x.job_id}/edit`} size="sm" fw={600}>
                    {x.job_name}
                  </Text>
                  {x.description && (
                    <Text size="xs" c="dimmed">
                      {x.description}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {x.cron}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {describeCron(x.cron) ?? ''} ({x.time_zone})
                  </Text>
                </Table.Td>
                <Table.Td>{x.enabled ? when(x.next_fire_at) : '—'}</Table.Td>
                <Table.Td>
                  <Badge color={x.enabled ? 'green' : 'gray'} variant="light">
                    {x.enabled ? 'enabled' : 'paused'}
                  </Badge>
                </Table.Td>
                {operator && (
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      <Button size="compact-sm" variant="default" onClick={() => setEditing(x)}>
                        Edit
                      </Button>
                      <Button size="compact-sm" variant="light" onClick={() => void toggle(x)}>
                        {x.enabled ? 'Pause' : 'Enable'}
                      </Button>
                      <Button size="compact-sm" color="red" variant="light" onClick={() => void remove(x)}>
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
      {list.data && list.data.items.length === 0 && <Text c="dimmed">No schedules yet.</Text>}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New schedule' : 'Edit schedule'} size="lg">
        {editing !== null && (
          <ScheduleForm
            schedule={editing === 'new' ? null : editing}
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

function ScheduleForm({ schedule, onDone }: { schedule: Schedule | null; onDone: () => void }) {
  const { client } = useSession();
  const jobs = useLoad(() => client.get<List<Job>>('/api/v1/jobs', { limit: 200 }), []);
  const [jobId, setJobId] = useState<string | null>(schedule?.job_id ?? null);
  const job = useLoad(() => (jobId ? client.get<Job>(`/api/v1/jobs/${jobId}`) : Promise.resolve(null)), [jobId]);
  const [cron, setCron] = useState(schedule?.cron ?? '0 3 * * *');
  const [zone, setZone] = useState<string>(schedule?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC');
  const [description, setDescription] = useState(schedule?.description ?? '');
  const [enabled, setEnabled] = useState(schedule?.enabled ?? true);
  const [overlap, setOverlap] = useState(schedule?.overlap_policy ?? 'skip');
  const [misfire, setMisfire] = useState(schedule?.misfire_policy ?? 'run_once');
  const [values, setValues] = useState<Record<string, unknown> | null>(schedule?.params ?? null);
  const params = job.data?.definition?.parameters ?? [];
  const v = values ?? paramDefaults(params);
  const [dc] = useDebouncedValue(cron, 350);
  const [preview, setPreview] = useState<{ times: { local: string; utc: string }[]; error: string | null }>({ times: [], error: null });
  const allZones = useMemo(zones, []);
  const s = useSubmit();

  useEffect(() => {
    let live = true;
    if (!dc.trim()) return;
    client.post<{ fire_times: { local: string; utc: string }[] }>('/api/v1/schedules/preview', { cron: dc, time_zone: zone, count: 5 }).then(
      (r) => live && setPreview({ times: r.fire_times, error: null }),
      (e) => live && setPreview({ times: [], error: problemText(e) }),
    );
    return () => {
      live = false;
    };
  }, [dc, zone, client]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, unknown> = {
      cron,
      time_zone: zone,
      description: description || null,
      enabled,
      overlap_policy: overlap,
      misfire_policy: misfire,
      params: paramValues(params, v),
    };
    // An edit sends the parameters only when they were changed: secret
    // values cannot be read back, and sending params replaces them all.
    if (schedule && values === schedule.params) delete body.params;
    const ok = await s.run(() =>
      schedule
        ? client.request('PATCH', `/api/v1/schedules/${schedule.id}`, { body, ifMatch: `"${schedule.version}"` })
        : client.post('/api/v1/schedules', { ...body, job_id: jobId }),
    );
    if (ok) onDone();
  }

  const words = describeCron(cron);
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Select
          label="Job"
          required
          searchable
          disabled={!!schedule}
          data={(jobs.data?.items ?? []).map((j) => ({ value: j.id, label: j.name }))}
          value={jobId}
          onChange={setJobId}
          error={s.fields.job_id}
        />
        <TextInput label="Cron expression" required value={cron} onChange={(e) => setCron(e.currentTarget.value)} error={s.fields.cron} ff="monospace" description="minute hour day-of-month month day-of-week, or @daily, @hourly…" />
        <Text size="sm" data-testid="cron-words">
          {words ?? 'Not a cron expression yet.'}
        </Text>
        <Select label="Time zone" required searchable data={allZones} value={zone} onChange={(z) => setZone(z ?? 'UTC')} error={s.fields.time_zone} limit={100} />
        <Stack gap={2}>
          <Text size="sm" fw={600}>
            Next fire times
          </Text>
          {preview.error ? (
            <Text size="sm" c="red">
              {preview.error}
            </Text>
          ) : (
            preview.times.map((t) => (
              <Text key={t.utc} size="sm" ff="monospace" data-testid="fire-time">
                {t.local} <Text span c="dimmed" size="xs">({t.utc} UTC)</Text>
              </Text>
            ))
          )}
        </Stack>
        <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={s.fields.description} />
        <Group grow>
          <Select
            label="When the last run is still going"
            data={[
              { value: 'skip', label: 'skip this fire' },
              { value: 'queue', label: 'queue it' },
              { value: 'allow', label: 'run anyway' },
            ]}
            value={overlap}
            onChange={(x) => setOverlap(x ?? 'skip')}
            error={s.fields.overlap_policy}
          />
          <Select
            label="Fires missed while down"
            data={[
              { value: 'run_once', label: 'run once' },
              { value: 'skip', label: 'skip them' },
            ]}
            value={misfire}
            onChange={(x) => setMisfire(x ?? 'run_once')}
            error={s.fields.misfire_policy}
          />
        </Group>
        {params.length > 0 && (
          <>
            <Text size="sm" fw={600}>
              Parameters
            </Text>
            {schedule?.has_secret_params && (
              <Text size="xs" c="dimmed">
                Secret values are stored sealed and never shown. Changing any parameter here replaces them all: type the secrets again.
              </Text>
            )}
            <ParamsForm params={params} value={v} onChange={setValues} errors={s.fields} />
          </>
        )}
        <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not saved" />}
        <Group justify="flex-end">
          <Button type="submit" loading={s.busy}>
            {schedule ? 'Save' : 'Create schedule'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
