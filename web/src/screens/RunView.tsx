// A run: its state, the job's graph with each step's state on the chosen
// target, the target's live log (history, then run.log events, deduped by
// offset), cancel and retry of the failed targets.
import { Alert, Badge, Box, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { Background, Controls, ReactFlow, ReactFlowProvider } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { problemText } from '../api/problem';
import { useSession } from '../auth/session';
import { jobToGraph } from '../auto/jobgraph';
import { LogModel } from '../auto/logmodel';
import { LogView } from '../auto/LogView';
import { nodeTypes, type StepFlowNode } from '../auto/StepNode';
import { finalStates, type JobVersion, type LogChunk, type Run, type RunStep } from '../auto/types';
import { useRunEvents } from '../events/hub';
import { useLoad, useSubmit, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';
import { StateBadge } from './Jobs';
import { duration } from './Runs';

function RunPage() {
  const { id } = useParams();
  const { client, can } = useSession();
  const nav = useNavigate();
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [target, setTarget] = useState<string | null>(null);
  const model = useRef(new LogModel());
  const [version, setVersion] = useState(0);
  const s = useSubmit();

  const reload = useCallback(() => {
    client.get<Run>(`/api/v1/runs/${id}`).then(
      (r) => {
        setRun(r);
        setError(null);
      },
      (e) => setError(problemText(e)),
    );
  }, [client, id]);

  // Log chunks and state changes arrive in bursts: draw at most every 100 ms.
  const pending = useRef<{ log: boolean; run: boolean; t: ReturnType<typeof setTimeout> | null }>({ log: false, run: false, t: null });
  const flush = useCallback(
    (what: 'log' | 'run') => {
      const p = pending.current;
      p[what] = true;
      if (p.t) return;
      p.t = setTimeout(() => {
        if (p.log) setVersion(model.current.version);
        if (p.run) reload();
        p.log = p.run = false;
        p.t = null;
      }, 100);
    },
    [reload],
  );

  useEffect(() => {
    model.current = new LogModel();
    setVersion(0);
    reload();
  }, [id, reload]);

  const connected = useRunEvents(id, (e) => {
    if (e.type === 'run.log' && e.data) {
      if (model.current.add([e.data as LogChunk])) flush('log');
    } else if (e.type.startsWith('run')) flush('run');
  });

  // History once the live stream is open (nothing falls between the two;
  // overlaps are dropped by offset), or without it after a while; while the
  // stream is down and the run goes on, the log is polled.
  const fetched = useRef(false);
  const fetchLog = useCallback(async () => {
    for (;;) {
      const page = await client.get<{ items: LogChunk[]; next: number }>(`/api/v1/runs/${id}/log`, { after: model.current.last, limit: 5000 });
      model.current.add(page.items);
      flush('log');
      if (page.items.length < 5000) break;
    }
  }, [client, id, flush]);
  useEffect(() => {
    fetched.current = false;
  }, [id]);
  useEffect(() => {
    const go = () => {
      if (fetched.current) return;
      fetched.current = true;
      void fetchLog().catch((e) => setError(problemText(e)));
    };
    if (connected) go();
    const t = setTimeout(go, 3000);
    return () => clearTimeout(t);
  }, [connected, fetchLog]);
  const final = !!run && finalStates.includes(run.state);
  useEffect(() => {
    if (connected || final) return;
    const t = setInterval(() => {
      void fetchLog().catch(() => undefined);
      reload();
    }, 2000);
    return () => clearInterval(t);
  }, [connected, final, fetchLog, reload]);
  // The final state's last lines: one more page when the run ends.
  useEffect(() => {
    if (final) void fetchLog().catch(() => undefined);
  }, [final, fetchLog]);

  const jv = useLoad(
    () => (run ? client.get<JobVersion>(`/api/v1/jobs/${run.job_id}/versions/${run.job_version}`) : Promise.resolve(null)),
    [run?.job_id, run?.job_version],
  );
  const targets = run?.targets ?? [];
  const rt = targets.find((t) => t.id === target) ?? targets[0];
  const latest = useMemo(() => {
    const m = new Map<string, RunStep>();
    for (const st of rt?.steps ?? []) {
      const o = m.get(st.step_id);
      if (!o || st.attempt >= o.attempt) m.set(st.step_id, st);
    }
    return m;
  }, [rt]);
  const graph = useMemo(() => {
    if (!jv.data?.definition) return null;
    const g = jobToGraph(jv.data.definition);
    const nodes = g.nodes.map((n) => ({ ...n, data: { ...n.data, state: latest.get(n.id)?.state } })) as StepFlowNode[];
    return { nodes, edges: g.edges };
  }, [jv.data, latest]);

  async function cancel() {
    if (await s.run(() => client.post(`/api/v1/runs/${id}/cancel`))) reload();
  }
  async function retry() {
    let n: Run | null = null;
    const ok = await s.run(async () => {
      n = await client.post<Run>(`/api/v1/runs/${id}/retry`);
    });
    if (ok && n) nav(`/runs/${(n as Run).id}`);
  }

  const operator = can('operator');
  if (error && !run) return <ErrorBox error={error} />;
  if (!run) return <Text c="dimmed">Loading…</Text>;
  return (
    <Page
      title={`Run of ${run.job_name}`}
      actions={
        <>
          <StateBadge state={run.state} />
          <Badge variant="outline" color={connected ? 'green' : 'gray'} data-testid="live">
            {connected ? 'live' : 'not live'}
          </Badge>
          {operator && !final && (
            <Button color="red" variant="light" onClick={() => void cancel()} loading={s.busy} disabled={run.cancel_requested}>
              {run.cancel_requested ? 'Canceling…' : 'Cancel run'}
            </Button>
          )}
          {operator && final && run.targets_total > run.targets_succeeded && (
            <Button onClick={() => void retry()} loading={s.busy}>
              Retry failed targets
            </Button>
          )}
        </>
      }
    >
      <ErrorBox error={s.error || error} />
      {run.error && <Alert color="red">{run.error}</Alert>}
      <SimpleGrid cols={{ base: 2, md: 5 }}>
        <Card withBorder padding="xs">
          <Text size="xs" c="dimmed">Job</Text>
          <Text component={Link} to={`/jobs/${run.job_id}/edit`} size="sm">
            {run.job_name} v{run.job_version}
          </Text>
        </Card>
        <Card withBorder padding="xs">
          <Text size="xs" c="dimmed">Targets</Text>
          <Text size="sm">
            {run.targets_succeeded}/{run.targets_total} ok, {run.targets_failed} failed
          </Text>
        </Card>
        <Card withBorder padding="xs">
          <Text size="xs" c="dimmed">Started</Text>
          <Text size="sm">{when(run.started_at)}</Text>
        </Card>
        <Card withBorder padding="xs">
          <Text size="xs" c="dimmed">Duration</Text>
          <Text size="sm">{duration(run.duration_ms)}</Text>
        </Card>
        <Card withBorder padding="xs">
          <Text size="xs" c="dimmed">Trigger</Text>
          <Text size="sm">
            {run.trigger}
            {run.created_by_name ? ` by ${run.created_by_name}` : ''}
            {run.retry_of && (
              <>
                {' '}
                (<Link to={`/runs/${run.retry_of}`}>retry of</Link>)
              </>
            )}
          </Text>
        </Card>
      </SimpleGrid>
      {Object.keys(run.params ?? {}).length + run.secret_params.length > 0 && (
        <Text size="sm">
          Parameters: {Object.entries(run.params ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}
          {run.secret_params.map((k) => ` ${k}=********`).join(',')}
        </Text>
      )}
      <Group align="flex-end">
        <Select
          label="Target"
          data={targets.map((t) => ({ value: t.id, label: `${t.target_name ?? 'worker (local)'} — ${t.state}` }))}
          value={rt?.id ?? null}
          onChange={setTarget}
          w={360}
          allowDeselect={false}
          data-testid="target-select"
        />
        {rt && <StateBadge state={rt.state} />}
        {rt?.error && <Text c="red" size="sm">{rt.error}</Text>}
      </Group>
      <Group align="stretch" wrap="wrap" gap="sm">
        <Box h={440} style={{ flex: '1 1 320px', border: '1px solid var(--mantine-color-gray-4)', borderRadius: 8 }}>
          {graph && (
            <ReactFlow nodes={graph.nodes} edges={graph.edges} nodeTypes={nodeTypes} nodesDraggable={false} nodesConnectable={false} fitView fitViewOptions={{ maxZoom: 1 }} proOptions={{ hideAttribution: true }}>
              <Background />
              <Controls showInteractive={false} />
            </ReactFlow>
          )}
        </Box>
        <Box style={{ flex: '2 1 480px', minWidth: 0 }}>
          <LogView model={model.current} version={version} target={rt?.id ?? ''} name={`${run.job_name}-${rt?.target_name ?? 'local'}`} />
        </Box>
      </Group>
      <Stack gap={4}>
        <Text fw={600} size="sm">
          Steps on {rt?.target_name ?? 'the worker'}
        </Text>
        <Table aria-label="Steps">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Step</Table.Th>
              <Table.Th>Attempt</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Exit</Table.Th>
              <Table.Th>Duration</Table.Th>
              <Table.Th>Error</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(rt?.steps ?? []).map((st) => (
              <Table.Tr key={st.id}>
                <Table.Td>{st.step_id}</Table.Td>
                <Table.Td>{st.attempt}</Table.Td>
                <Table.Td>
                  <StateBadge state={st.state} />
                </Table.Td>
                <Table.Td>{st.exit_code ?? st.exit_signal ?? '—'}</Table.Td>
                <Table.Td>{duration(st.duration_ms)}</Table.Td>
                <Table.Td>
                  <Text size="xs" c="red">
                    {st.error}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Stack>
    </Page>
  );
}

export default function RunView() {
  return (
    <ReactFlowProvider>
      <RunPage />
    </ReactFlowProvider>
  );
}
