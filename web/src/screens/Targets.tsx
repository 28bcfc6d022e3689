// Targets: a virtualised list that loads pages as it scrolls (fast with
// 10,000 rows), filters, bulk test/delete, create/edit, import, and the
// detail drawer with connection test and host-key acceptance.
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  Drawer,
  Group,
  Modal,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus, IconSearch, IconTrash, IconUpload, IconPlugConnected } from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { List } from '../api/client';
import { problemText } from '../api/problem';
import { useSession } from '../auth/session';
import { useSubmit, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';
import { TargetForm } from './TargetForm';
import { TargetImport } from './TargetImport';
import { testWords, waitTestLive } from './targetTest';
import type { Target } from './types';

const PAGE = 200;
const reachColor: Record<string, string> = {
  reachable: 'green',
  unreachable: 'red',
  auth_failed: 'orange',
  host_key_changed: 'red',
  error: 'red',
  unknown: 'gray',
};

export function ReachBadge({ r }: { r: string }) {
  return (
    <Badge color={reachColor[r] ?? 'gray'} variant="light">
      {r.replace(/_/g, ' ')}
    </Badge>
  );
}

interface Filters {
  q: string;
  os: string | null;
  reachability: string | null;
  tag: string;
}

export default function Targets() {
  const { client, can } = useSession();
  const operator = can('operator');
  // Links (from the dashboard) may preset the filters: ?reachability=...
  const [params] = useSearchParams();
  const [f, setF] = useState<Filters>({
    q: params.get('q') ?? '',
    os: params.get('os'),
    reachability: params.get('reachability'),
    tag: params.get('tag') ?? '',
  });
  const [fq] = useDebouncedValue(f, 300);
  const [total, setTotal] = useState<number | null>(null);
  const [rows, setRows] = useState<(Target | undefined)[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<Target | null | 'new'>(null);
  const [importing, setImporting] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const pages = useRef(new Set<number>());
  const gen = useRef(0);
  const scroller = useRef<HTMLDivElement>(null);
  const bulk = useSubmit();

  const loadPage = useCallback(
    async (page: number, g: number) => {
      if (pages.current.has(page)) return;
      pages.current.add(page);
      try {
        const l = await client.get<List<Target>>('/api/v1/targets', {
          limit: PAGE,
          offset: page * PAGE,
          q: fq.q.trim(),
          os: fq.os,
          reachability: fq.reachability,
          tag: fq.tag.trim(),
        });
        if (g !== gen.current) return;
        setTotal(l.total);
        setRows((old) => {
          const next = old.length === l.total ? old.slice() : Array.from({ length: l.total }, (_, i) => old[i]);
          l.items.forEach((t, i) => (next[page * PAGE + i] = t));
          return next;
        });
        setError(null);
      } catch (e) {
        pages.current.delete(page);
        if (g === gen.current) setError(problemText(e));
      }
    },
    [client, fq],
  );

  const reset = useCallback(() => {
    gen.current++;
    pages.current = new Set();
    setRows([]);
    setTotal(null);
    void loadPage(0, gen.current);
  }, [loadPage]);

  useEffect(() => {
    reset();
    setSelected(new Set());
  }, [reset]);

  const v = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 44,
    overscan: 20,
  });
  const items = v.getVirtualItems();
  useEffect(() => {
    for (const it of items) if (!rows[it.index]) void loadPage(Math.floor(it.index / PAGE), gen.current);
  }, [items, rows, loadPage]);

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  async function bulkDelete() {
    const ids = [...selected];
    if (!window.confirm(`Delete ${ids.length} target(s)?`)) return;
    const ok = await bulk.run(async () => {
      for (const id of ids) await client.del(`/api/v1/targets/${id}`);
    });
    if (ok) setNotice(`${ids.length} target(s) deleted.`);
    setSelected(new Set());
    reset();
  }

  async function bulkTest() {
    const ids = [...selected];
    const ok = await bulk.run(() => client.post('/api/v1/targets/test', { target_ids: ids }));
    if (ok) setNotice(`Connection tests started for ${ids.length} target(s); results appear in the list as they finish.`);
  }

  const cols = operator ? '32px 2fr 2fr 90px 140px 2fr' : '2fr 2fr 90px 140px 2fr';
  return (
    <Page
      title="Targets"
      actions={
        operator && (
          <>
            <Button leftSection={<IconUpload size={16} />} variant="default" onClick={() => setImporting(true)}>
              Import
            </Button>
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
              New target
            </Button>
          </>
        )
      }
    >
      <Group align="flex-end" wrap="wrap">
        <TextInput
          label="Search"
          placeholder="Name or host"
          leftSection={<IconSearch size={16} />}
          value={f.q}
          onChange={(e) => setF({ ...f, q: e.currentTarget.value })}
        />
        <Select label="OS" clearable data={['linux', 'windows']} value={f.os} onChange={(x) => setF({ ...f, os: x })} w={130} />
        <Select
          label="Reachability"
          clearable
          data={['unknown', 'reachable', 'unreachable', 'auth_failed', 'host_key_changed', 'error']}
          value={f.reachability}
          onChange={(x) => setF({ ...f, reachability: x })}
          w={180}
        />
        <TextInput label="Tag" value={f.tag} onChange={(e) => setF({ ...f, tag: e.currentTarget.value })} w={140} />
      </Group>
      {notice && (
        <Alert color="green" withCloseButton onClose={() => setNotice(null)} role="status">
          {notice}
        </Alert>
      )}
      <ErrorBox error={error || bulk.error} />
      {operator && selected.size > 0 && (
        <Group>
          <Text size="sm">{selected.size} selected</Text>
          <Button size="xs" variant="default" leftSection={<IconPlugConnected size={14} />} onClick={() => void bulkTest()} loading={bulk.busy}>
            Test connection
          </Button>
          <Button size="xs" color="red" variant="light" leftSection={<IconTrash size={14} />} onClick={() => void bulkDelete()} loading={bulk.busy}>
            Delete
          </Button>
        </Group>
      )}
      <Text size="sm" c="dimmed" data-testid="targets-total">
        {total === null ? 'Loading…' : `${total} target${total === 1 ? '' : 's'}`}
      </Text>
      <div style={{ overflowX: 'auto' }}>
      <div role="table" aria-label="Targets" aria-rowcount={rows.length} style={{ minWidth: 680 }}>
        <div role="row" className="vt-row vt-head" style={{ gridTemplateColumns: cols, height: 40 }}>
          {operator && <span role="columnheader" aria-label="Selected" />}
          <span role="columnheader">Name</span>
          <span role="columnheader">Host</span>
          <span role="columnheader">OS</span>
          <span role="columnheader">Reachability</span>
          <span role="columnheader">Tags</span>
        </div>
        <div ref={scroller} style={{ height: 'min(60vh, 640px)', overflow: 'auto' }} data-testid="targets-scroller">
          <div style={{ height: v.getTotalSize(), position: 'relative' }}>
            {items.map((it) => {
              const t = rows[it.index];
              return (
                <div
                  key={it.key}
                  role="row"
                  aria-rowindex={it.index + 2}
                  className="vt-row"
                  style={{
                    gridTemplateColumns: cols,
                    position: 'absolute',
                    top: 0,
                    left: 0,
                    right: 0,
                    height: it.size,
                    transform: `translateY(${it.start}px)`,
                  }}
                >
                  {!t ? (
                    <span className="vt-cell" role="cell">
                      …
                    </span>
                  ) : (
                    <>
                      {operator && (
                        <span role="cell">
                          <Checkbox aria-label={`Select ${t.name}`} checked={selected.has(t.id)} onChange={() => toggle(t.id)} />
                        </span>
                      )}
                      <span role="cell" className="vt-cell">
                        <Button variant="subtle" size="compact-sm" onClick={() => setOpen(t.id)} px={4}>
                          {t.name}
                        </Button>
                      </span>
                      <span role="cell" className="vt-cell">
                        {t.host}
                      </span>
                      <span role="cell" className="vt-cell">
                        {t.os}
                      </span>
                      <span role="cell" className="vt-cell">
                        <ReachBadge r={t.reachability} />
                      </span>
                      <span role="cell" className="vt-cell">
                        {t.tags.join(', ')}
                      </span>
                    </>
                  )}
                </div>
              );
            })}
          </div>
        </div>
      </div>
      </div>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New target' : 'Edit target'} size="lg">
        {editing !== null && (
          <TargetForm
            target={editing === 'new' ? null : editing}
            onDone={(t) => {
              setEditing(null);
              setNotice(`Target ${t.name} saved.`);
              reset();
              setOpen(t.id);
            }}
          />
        )}
      </Modal>
      <Modal opened={importing} onClose={() => setImporting(false)} title="Import targets" size="xl">
        {importing && (
          <TargetImport
            onDone={(n) => {
              setImporting(false);
              setNotice(`${n} target(s) imported.`);
              reset();
            }}
          />
        )}
      </Modal>
      <Drawer opened={open !== null} onClose={() => setOpen(null)} position="right" size="lg" title="Target">
        {open && (
          <TargetDetail
            id={open}
            onEdit={(t) => setEditing(t)}
            onChanged={reset}
            onDeleted={() => {
              setOpen(null);
              reset();
            }}
          />
        )}
      </Drawer>
    </Page>
  );
}

function TargetDetail({
  id,
  onEdit,
  onChanged,
  onDeleted,
}: {
  id: string;
  onEdit: (t: Target) => void;
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const { client, can } = useSession();
  const [t, setT] = useState<Target | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const s = useSubmit();
  const load = useCallback(async () => {
    try {
      setT(await client.get<Target>(`/api/v1/targets/${id}`));
    } catch (e) {
      s.run(() => Promise.reject(e));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, id]);
  useEffect(() => {
    void load();
  }, [load]);

  async function test() {
    setResult(null);
    await s.run(async () => {
      const r = await client.post<{ task_id: string }>(`/api/v1/targets/${id}/test`);
      setResult({ ok: true, text: 'Testing…' });
      const task = await waitTestLive(client, r.task_id);
      setResult(testWords(task));
      await load();
      onChanged();
    });
  }

  async function accept() {
    if (!t?.ssh_host_key_pending) return;
    const ok = await s.run(() =>
      client.post(`/api/v1/targets/${id}/host-key/accept`, { fingerprint: t.ssh_host_key_pending }),
    );
    if (ok) {
      setResult({ ok: true, text: 'The new host key is accepted; test the connection again.' });
      await load();
      onChanged();
    }
  }

  async function remove() {
    if (!t || !window.confirm(`Delete target ${t.name}?`)) return;
    if (await s.run(() => client.del(`/api/v1/targets/${id}`))) onDeleted();
  }

  if (!t) return <ErrorBox error={s.error} />;
  const operator = can('operator');
  return (
    <Stack gap="sm">
      <Title order={3}>{t.name}</Title>
      <Group gap="xs">
        <ReachBadge r={t.reachability} />
        {!t.enabled && <Badge color="gray">disabled</Badge>}
        {t.tags.map((g) => (
          <Badge key={g} variant="outline">
            {g}
          </Badge>
        ))}
      </Group>
      <Text size="sm">
        {t.protocol} to {t.host}:{t.port ?? 'default'} ({t.os}
        {t.detected_os ? `, detected ${t.detected_os}` : ''})
      </Text>
      <Text size="sm">Credential: {t.credential_name ?? 'none'}</Text>
      {t.description && <Text size="sm">{t.description}</Text>}
      <Text size="sm">
        Last test: {when(t.last_test_at)}
        {t.last_test?.error ? ` — ${t.last_test.error}` : ''}
      </Text>
      {t.ssh_host_key && (
        <Text size="sm">
          Host key: <Code>{t.ssh_host_key}</Code>
        </Text>
      )}
      {t.ssh_host_key_pending && (
        <Alert color="red" title="The host key changed" role="alert">
          <Stack gap="xs">
            <Text size="sm">
              The server now presents a different key ({t.ssh_host_key_pending_type}):{' '}
              <Code data-testid="pending-key">{t.ssh_host_key_pending}</Code>. Accept it only if you know why it changed.
            </Text>
            {operator && (
              <Button color="red" variant="light" onClick={() => void accept()} loading={s.busy}>
                Accept the new host key
              </Button>
            )}
          </Stack>
        </Alert>
      )}
      {result && (
        <Alert color={result.ok ? 'green' : 'red'} title="Connection test" data-testid="test-result" role="status">
          {result.text}
        </Alert>
      )}
      <ErrorBox error={s.error} />
      {operator && (
        <Group>
          <Button leftSection={<IconPlugConnected size={16} />} onClick={() => void test()} loading={s.busy}>
            Test connection
          </Button>
          <Button variant="default" onClick={() => onEdit(t)}>
            Edit
          </Button>
          <Button color="red" variant="light" onClick={() => void remove()}>
            Delete
          </Button>
        </Group>
      )}
    </Stack>
  );
}
