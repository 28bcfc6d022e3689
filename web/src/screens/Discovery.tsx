// Discovery: start a scan, watch its progress (polled), pick hosts from
// the results and import them as targets; admins set the allowed ranges.
import { Badge, Button, Card, Checkbox, Group, Progress, Select, Stack, Table, TagsInput, Text, TextInput, Title, NumberInput } from '@mantine/core';
import { IconRadar } from '@tabler/icons-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import { useLoad, usePoll, useSubmit, when } from '../ui/hooks';
import { useEvents } from '../events/hub';
import { ErrorBox, Page } from '../ui/parts';
import type { Credential } from './types';

interface Scan {
  id: string;
  state: string;
  cidrs: string[];
  ports: number[];
  hosts_total: number;
  hosts_done: number;
  found: number;
  error: string | null;
  created_at: string;
}

interface Result {
  address: string;
  reverse_name: string | null;
  open_ports: number[];
  ssh_banner: string | null;
  winrm_product: string | null;
  classification: string;
  already_target: boolean;
}

const live = (s: string) => s === 'queued' || s === 'running';

export default function Discovery() {
  const { client, can } = useSession();
  const scans = useLoad(() => client.get<List<Scan>>('/api/v1/discovery/scans', { limit: 20 }), []);
  const [current, setCurrent] = useState<string | null>(null);
  useEffect(() => {
    if (!current && scans.data?.items.length) setCurrent(scans.data.items[0].id);
  }, [scans.data, current]);
  return (
    <Page title="Discovery">
      {can('operator') && (
        <StartScan
          onStarted={(id) => {
            setCurrent(id);
            scans.reload();
          }}
        />
      )}
      <ErrorBox error={scans.error} />
      {scans.data && scans.data.items.length > 0 && (
        <Select
          label="Scan"
          data={scans.data.items.map((s) => ({ value: s.id, label: `${when(s.created_at)} — ${s.cidrs.join(', ')} (${s.state})` }))}
          value={current}
          onChange={setCurrent}
          allowDeselect={false}
        />
      )}
      {current && <ScanView id={current} onFinished={scans.reload} />}
      {can('admin') && <Settings />}
    </Page>
  );
}

function StartScan({ onStarted }: { onStarted: (id: string) => void }) {
  const { client } = useSession();
  const [cidrs, setCidrs] = useState<string[]>([]);
  const [ports, setPorts] = useState('22, 5985, 5986, 3389');
  const s = useSubmit();
  async function submit(e: FormEvent) {
    e.preventDefault();
    let id = '';
    const p = ports
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((x) => Number(x));
    const ok = await s.run(async () => {
      const r = await client.post<Scan>('/api/v1/discovery/scans', { cidrs, ports: p });
      id = r.id;
    });
    if (ok) onStarted(id);
  }
  return (
    <Card withBorder>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Title order={3} size="h4">
            Start a scan
          </Title>
          <TagsInput label="Address ranges (CIDR)" description="e.g. 10.0.0.0/24; press Enter after each" value={cidrs} onChange={setCidrs} error={s.fields.cidrs} />
          <TextInput label="Ports" value={ports} onChange={(e) => setPorts(e.currentTarget.value)} error={s.fields.ports} />
          {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not started" />}
          <Group justify="flex-end">
            <Button type="submit" leftSection={<IconRadar size={16} />} loading={s.busy}>
              Start scan
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function ScanView({ id, onFinished }: { id: string; onFinished: () => void }) {
  const { client, can } = useSession();
  const [scan, setScan] = useState<Scan | null>(null);
  const [results, setResults] = useState<Result[]>([]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [cred, setCred] = useState<string | null>(null);
  const [os, setOs] = useState<string | null>(null);
  const [prefix, setPrefix] = useState('');
  const [imported, setImported] = useState<string | null>(null);
  const creds = useLoad(() => client.get<List<Credential>>('/api/v1/credentials', { limit: 200 }), []);
  const s = useSubmit();

  async function load(): Promise<boolean> {
    const sc = await client.get<Scan>(`/api/v1/discovery/scans/${id}`);
    setScan(sc);
    const r = await client.get<List<Result>>(`/api/v1/discovery/scans/${id}/results`, { limit: 200 });
    setResults(r.items);
    if (!live(sc.state)) onFinished();
    return !live(sc.state);
  }
  useEffect(() => {
    setScan(null);
    setResults([]);
    setChosen(new Set());
    setImported(null);
    void s.run(load);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);
  // Progress arrives as scan events; a slow poll covers a missed one (and
  // a stream that is down).
  const busy = useRef(false);
  const again = useRef(false);
  const connected = useEvents(['scan', 'task'], (e) => {
    if (e.type === 'scan' && e.data?.scan_id !== id) return;
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    const next = () =>
      load()
        .catch(() => true)
        .finally(() => {
          if (again.current) {
            again.current = false;
            void next();
          } else busy.current = false;
        });
    void next();
  });
  usePoll(load, connected ? 5000 : 1000, !!scan && live(scan.state));

  async function importChosen() {
    let n = 0;
    const ok = await s.run(async () => {
      const r = await client.post<{ created?: number }>('/api/v1/discovery/import', {
        scan_id: id,
        addresses: [...chosen],
        credential_id: cred,
        ...(os ? { os } : {}),
        ...(prefix ? { name_prefix: prefix } : {}),
      });
      n = r?.created ?? chosen.size;
    });
    if (ok) {
      setImported(`${n} host(s) imported as targets.`);
      setChosen(new Set());
      await load();
    }
  }

  async function cancel() {
    await s.run(() => client.post(`/api/v1/discovery/scans/${id}/cancel`));
    await load();
  }

  if (!scan) return <ErrorBox error={s.error} />;
  const pct = scan.hosts_total ? (100 * scan.hosts_done) / scan.hosts_total : 0;
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Group justify="space-between">
          <Text fw={600}>{scan.cidrs.join(', ')}</Text>
          <Badge data-testid="scan-state">{scan.state}</Badge>
        </Group>
        <Progress value={pct} aria-label="Scan progress" animated={live(scan.state)} />
        <Text size="sm">
          {scan.hosts_done} of {scan.hosts_total} address(es) scanned, {scan.found} host(s) found
          {scan.error ? ` — ${scan.error}` : ''}
        </Text>
        {live(scan.state) && can('operator') && (
          <Button variant="default" onClick={() => void cancel()} w="fit-content">
            Cancel scan
          </Button>
        )}
        <Table.ScrollContainer minWidth={600}>
          <Table aria-label="Hosts found">
            <Table.Thead>
              <Table.Tr>
                <Table.Th aria-label="Chosen" />
                <Table.Th>Address</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Open ports</Table.Th>
                <Table.Th>Looks like</Table.Th>
                <Table.Th>Server</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {results.map((r) => (
                <Table.Tr key={r.address}>
                  <Table.Td>
                    <Checkbox
                      aria-label={`Choose ${r.address}`}
                      disabled={r.already_target || !can('operator')}
                      checked={chosen.has(r.address)}
                      onChange={() =>
                        setChosen((c) => {
                          const n = new Set(c);
                          if (n.has(r.address)) n.delete(r.address);
                          else n.add(r.address);
                          return n;
                        })
                      }
                    />
                  </Table.Td>
                  <Table.Td>{r.address}</Table.Td>
                  <Table.Td>{r.reverse_name ?? '—'}</Table.Td>
                  <Table.Td>{r.open_ports.join(', ')}</Table.Td>
                  <Table.Td>
                    {r.classification}
                    {r.already_target ? ' (already a target)' : ''}
                  </Table.Td>
                  <Table.Td>{r.ssh_banner ?? r.winrm_product ?? '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {can('operator') && chosen.size > 0 && (
          <Group align="flex-end" wrap="wrap">
            <Select
              label="Credential for the new targets"
              clearable
              data={(creds.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
              value={cred}
              onChange={setCred}
              error={s.fields.credential_id}
            />
            <Select label="OS (empty: as detected)" clearable data={['linux', 'windows']} value={os} onChange={setOs} error={s.fields.os} />
            <TextInput label="Name prefix" value={prefix} onChange={(e) => setPrefix(e.currentTarget.value)} error={s.fields.name_prefix} />
            <Button onClick={() => void importChosen()} loading={s.busy}>
              Import {chosen.size} host(s)
            </Button>
          </Group>
        )}
        {imported && <Text c="green">{imported}</Text>}
        <ErrorBox error={s.error} />
      </Stack>
    </Card>
  );
}

function Settings() {
  const { client } = useSession();
  const st = useLoad(() => client.get<{ allowed_ranges: string[]; max_hosts: number; version: number }>('/api/v1/discovery/settings'), []);
  const [ranges, setRanges] = useState<string[] | null>(null);
  const [max, setMax] = useState<number | null>(null);
  const s = useSubmit();
  const r = ranges ?? st.data?.allowed_ranges ?? [];
  const m = max ?? st.data?.max_hosts ?? 4096;
  async function save(e: FormEvent) {
    e.preventDefault();
    if (await s.run(() => client.put('/api/v1/discovery/settings', { allowed_ranges: r, max_hosts: m }))) st.reload();
  }
  return (
    <Card withBorder>
      <form onSubmit={save} noValidate>
        <Stack gap="sm">
          <Title order={3} size="h4">
            Scan settings (admin)
          </Title>
          <TagsInput label="Ranges that may be scanned" value={r} onChange={setRanges} error={s.fields.allowed_ranges} />
          <NumberInput label="Largest scan (addresses)" min={1} value={m} onChange={(x) => setMax(typeof x === 'number' ? x : null)} error={s.fields.max_hosts} />
          {!Object.keys(s.fields).length && <ErrorBox error={s.error || st.error} title="Not saved" />}
          <Group justify="flex-end">
            <Button type="submit" variant="default" loading={s.busy}>
              Save settings
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
