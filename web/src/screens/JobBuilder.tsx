// The visual job builder (its own chunk): a palette of step types dragged
// onto the canvas, success/failure/always links, a side panel per step,
// the job's parameters, targets and settings, save with the server's
// errors pinned to the steps, and the version history.
import {
  Alert,
  Badge,
  Box,
  Button,
  Group,
  Modal,
  NumberInput,
  Paper,
  ScrollArea,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from '@mantine/core';
import {
  Background,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Connection,
  type Edge,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useState, type DragEvent } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { ApiError, problemText } from '../api/problem';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import { graphToJob, jobToGraph, makeEdge, newStepId, pinErrors, renameStep, edgeLook, type GraphEdge, type GraphNode, type JobMeta, type PinnedErrors } from '../auto/jobgraph';
import { ParamsEditor } from '../auto/ParamsEditor';
import { StepForm } from '../auto/StepForm';
import { nodeTypes, type StepFlowNode } from '../auto/StepNode';
import { TargetPicker } from '../auto/TargetPicker';
import type { EdgeKind, Job, JobDefinition, JobVersion, StepType } from '../auto/types';
import { useLoad, when } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';

const DRAG_TYPE = 'application/x-oc-step-type';
const emptyJob: JobDefinition = { name: '', description: '', parameters: [], targets: {}, steps: [], max_parallel: 10, timeout_s: 3600, step_timeout_s: 600, allow_overlap: true, on_worker_lost: 'fail' };

function Palette({ types, disabled }: { types: StepType[]; disabled: boolean }) {
  return (
    <Stack gap={6} aria-label="Step types">
      <Text size="sm" fw={700}>
        Step types
      </Text>
      <Text size="xs" c="dimmed">
        Drag onto the canvas.
      </Text>
      {types.map((t) => (
        <Tooltip key={t.name} label={t.description} multiline w={260} openDelay={600}>
          <Paper
            withBorder
            p={6}
            draggable={!disabled}
            data-testid={`palette-${t.name}`}
            style={{ cursor: disabled ? 'not-allowed' : 'grab' }}
            onDragStart={(e: DragEvent) => {
              e.dataTransfer.setData(DRAG_TYPE, t.name);
              e.dataTransfer.effectAllowed = 'move';
            }}
          >
            <Text size="sm">{t.title}</Text>
            <Text size="xs" c="dimmed">
              {t.name}
            </Text>
          </Paper>
        </Tooltip>
      ))}
    </Stack>
  );
}

function Builder() {
  const { id } = useParams();
  const nav = useNavigate();
  const { client, can } = useSession();
  const editable = can('operator');
  const rf = useReactFlow();
  const types = useLoad(() => client.get<List<StepType>>('/api/v1/step-types'), []);
  const typeOf = useMemo(() => new Map((types.data?.items ?? []).map((t) => [t.name, t])), [types.data]);
  const [nodes, setNodes, onNodesChange] = useNodesState<StepFlowNode>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const [meta, setMeta] = useState<JobMeta>(emptyJob);
  const [etag, setEtag] = useState<string | null>(null);
  const [version, setVersion] = useState<number | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [selEdge, setSelEdge] = useState<string | null>(null);
  const [kind, setKind] = useState<EdgeKind>('on_success');
  const [errors, setErrors] = useState<PinnedErrors>({ steps: {}, job: {} });
  const [saveError, setSaveError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [tab, setTab] = useState<string | null>('job');
  const [viewing, setViewing] = useState<JobVersion | null>(null);
  const versions = useLoad(
    () => (id ? client.get<List<JobVersion>>(`/api/v1/jobs/${id}/versions`, { limit: 200 }) : Promise.resolve(null)),
    [id, version],
  );

  function load(def: JobDefinition) {
    const g = jobToGraph(def);
    setNodes(g.nodes as StepFlowNode[]);
    setEdges(g.edges as Edge[]);
    setMeta(g.meta);
    setSelected(null);
    setErrors({ steps: {}, job: {} });
  }

  useEffect(() => {
    if (!id) {
      load(emptyJob);
      return;
    }
    client.request<Job>('GET', `/api/v1/jobs/${id}`).then(
      (r) => {
        setEtag(r.etag);
        setVersion(r.data.current_version);
        load(r.data.definition ?? { ...emptyJob, name: r.data.name });
      },
      (e) => setLoadError(problemText(e)),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  const viewNodes = useMemo(
    () =>
      nodes.map((n) => ({
        ...n,
        data: { ...n.data, title: typeOf.get(n.data.step.type)?.title, errorCount: Object.keys(errors.steps[n.id] ?? {}).length },
      })),
    [nodes, errors, typeOf],
  );

  function onDrop(e: DragEvent) {
    e.preventDefault();
    const name = e.dataTransfer.getData(DRAG_TYPE);
    const t = typeOf.get(name);
    if (!t || !editable) return;
    const position = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    const sid = newStepId(t.name, nodes);
    const inputs: Record<string, unknown> = {};
    const node: StepFlowNode = { id: sid, type: 'step', position, data: { step: { id: sid, type: t.name, inputs }, start: nodes.length === 0 } };
    setNodes((ns) => [...ns.map((n) => ({ ...n, selected: false })), { ...node, selected: true }]);
    setSelected(sid);
    setTab('step');
  }

  function onConnect(c: Connection) {
    if (!editable || !c.source || !c.target || c.source === c.target) return;
    const e = makeEdge(kind, c.source, c.target);
    setEdges((es) => (es.some((x) => x.id === e.id) ? es : [...es, e as Edge]));
  }

  function setEdgeKind(eid: string, k: EdgeKind) {
    setEdges((es) => es.map((e) => (e.id === eid ? (makeEdge(k, e.source, e.target) as Edge) : e)));
    setSelEdge(`${k}:${eid.split(':').slice(1).join(':')}`);
  }

  const step = nodes.find((n) => n.id === selected);
  const def = () => graphToJob(nodes as unknown as GraphNode[], edges as unknown as GraphEdge[], meta);

  async function save() {
    const body = def();
    setBusy(true);
    setSaveError(null);
    setSaved(null);
    try {
      const r = id
        ? await client.request<Job>('PUT', `/api/v1/jobs/${id}`, { body, ifMatch: etag })
        : await client.request<Job>('POST', '/api/v1/jobs', { body });
      setErrors({ steps: {}, job: {} });
      setEtag(r.etag);
      setVersion(r.data.current_version);
      setSaved(`Saved as version ${r.data.current_version}.`);
      if (!id) nav(`/jobs/${r.data.id}/edit`, { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.problem.errors?.length) {
        const p = pinErrors(e.problem.errors, body);
        setErrors(p);
        const bad = Object.keys(p.steps);
        if (bad.length && !selected) {
          setSelected(bad[0]);
          setTab('step');
        }
      }
      setSaveError(problemText(e));
    } finally {
      setBusy(false);
    }
  }

  async function view(v: JobVersion) {
    try {
      setViewing(await client.get<JobVersion>(`/api/v1/jobs/${id}/versions/${v.version}`));
    } catch (e) {
      setSaveError(problemText(e));
    }
  }

  const je = errors.job;
  const edge = edges.find((e) => e.id === selEdge);
  if (loadError) return <ErrorBox error={loadError} />;
  return (
    <Page
      title={id ? `Job: ${meta.name || '…'}` : 'New job'}
      actions={
        <>
          {version !== null && <Badge variant="light">version {version}</Badge>}
          {id && editable && (
            <Button variant="default" onClick={() => nav(`/jobs/${id}/run`)}>
              Run…
            </Button>
          )}
          {editable && (
            <Button onClick={() => void save()} loading={busy}>
              Save
            </Button>
          )}
        </>
      }
    >
      {saveError && (
        <Alert color="red" title="Not saved" role="alert">
          {saveError}
          {Object.entries(je).map(([k, m]) => (
            <Text key={k} size="sm">
              {k || 'job'}: {m}
            </Text>
          ))}
          {Object.entries(errors.steps).map(([s, f]) => (
            <Text key={s} size="sm">
              step {s}: {Object.entries(f).map(([k, m]) => `${k ? k + ': ' : ''}${m}`).join('; ')}
            </Text>
          ))}
        </Alert>
      )}
      {saved && (
        <Alert color="green" role="status">
          {saved}
        </Alert>
      )}
      <Group align="stretch" wrap="nowrap" gap="sm">
        <ScrollArea h={640} w={190} type="auto">
          <Palette types={types.data?.items ?? []} disabled={!editable} />
        </ScrollArea>
        <Box style={{ flex: 1, minWidth: 320 }}>
          <Group gap="xs" mb={6}>
            <Text size="sm">New links:</Text>
            <SegmentedControl
              size="xs"
              value={kind}
              onChange={(v) => setKind(v as EdgeKind)}
              aria-label="Kind of new links"
              data={(['on_success', 'on_failure', 'always'] as EdgeKind[]).map((k) => ({ value: k, label: edgeLook[k].label }))}
            />
          </Group>
          <Box h={600} style={{ border: '1px solid var(--mantine-color-gray-4)', borderRadius: 8 }} data-testid="canvas" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
            <ReactFlow
              nodes={viewNodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={editable ? onEdgesChange : undefined}
              onConnect={onConnect}
              nodesDraggable={editable}
              nodesConnectable={editable}
              deleteKeyCode={editable ? ['Delete', 'Backspace'] : null}
              onNodeClick={(_, n) => {
                setSelected(n.id);
                setSelEdge(null);
                setTab('step');
              }}
              onEdgeClick={(_, e) => {
                setSelEdge(e.id);
                setSelected(null);
                setTab('step');
              }}
              onPaneClick={() => {
                setSelected(null);
                setSelEdge(null);
              }}
              fitView={!!id}
              fitViewOptions={{ maxZoom: 1 }}
              proOptions={{ hideAttribution: true }}
            >
              <Background />
              <Controls />
            </ReactFlow>
          </Box>
        </Box>
        <ScrollArea h={640} w={380} type="auto">
          <Tabs value={tab} onChange={setTab} keepMounted={false}>
            <Tabs.List>
              <Tabs.Tab value="step">Step</Tabs.Tab>
              <Tabs.Tab value="job" color={Object.keys(je).some((k) => !k.startsWith('parameters') && !k.startsWith('targets')) ? 'red' : undefined}>
                Job
              </Tabs.Tab>
              <Tabs.Tab value="params">Parameters</Tabs.Tab>
              <Tabs.Tab value="targets">Targets</Tabs.Tab>
              {id && <Tabs.Tab value="versions">Versions</Tabs.Tab>}
            </Tabs.List>
            <Tabs.Panel value="step" pt="xs">
              {step ? (
                <StepForm
                  step={step.data.step}
                  type={typeOf.get(step.data.step.type)}
                  start={step.data.start}
                  errors={errors.steps[step.id] ?? {}}
                  readOnly={!editable}
                  onChange={(s) => setNodes((ns) => ns.map((n) => (n.id === step.id ? { ...n, data: { ...n.data, step: s } } : n)))}
                  onRename={(to) => {
                    if (!to || nodes.some((n) => n.id === to)) return;
                    const r = renameStep(nodes as unknown as GraphNode[], edges as unknown as GraphEdge[], step.id, to);
                    setNodes(r.nodes as unknown as StepFlowNode[]);
                    setEdges(r.edges as unknown as Edge[]);
                    if (meta.start === step.id) setMeta({ ...meta, start: to });
                    setSelected(to);
                  }}
                  onStart={() => {
                    setNodes((ns) => ns.map((n) => ({ ...n, data: { ...n.data, start: n.id === step.id } })));
                    setMeta({ ...meta, start: step.id });
                  }}
                  onDelete={() => {
                    setNodes((ns) => ns.filter((n) => n.id !== step.id));
                    setEdges((es) => es.filter((e) => e.source !== step.id && e.target !== step.id));
                    setSelected(null);
                  }}
                />
              ) : edge ? (
                <Stack gap="xs">
                  <Text fw={700}>
                    Link {edge.source} → {edge.target}
                  </Text>
                  <SegmentedControl
                    value={(edge.data as { kind: EdgeKind }).kind}
                    onChange={(v) => setEdgeKind(edge.id, v as EdgeKind)}
                    disabled={!editable}
                    data={(['on_success', 'on_failure', 'always'] as EdgeKind[]).map((k) => ({ value: k, label: edgeLook[k].label }))}
                  />
                  {editable && (
                    <Button
                      color="red"
                      variant="light"
                      onClick={() => {
                        setEdges((es) => es.filter((e) => e.id !== edge.id));
                        setSelEdge(null);
                      }}
                    >
                      Delete link
                    </Button>
                  )}
                </Stack>
              ) : (
                <Text size="sm" c="dimmed">
                  Select a step or a link. Connect a step's bottom handle to another step's top handle; the link is of the kind
                  chosen above the canvas (success green, failure red, always blue).
                </Text>
              )}
            </Tabs.Panel>
            <Tabs.Panel value="job" pt="xs">
              <fieldset disabled={!editable} style={{ border: 0, padding: 0, margin: 0 }}>
                <Stack gap="xs">
                  <TextInput label="Name" required value={meta.name} onChange={(e) => setMeta({ ...meta, name: e.currentTarget.value })} error={je.name} />
                  <Textarea label="Description" value={meta.description ?? ''} onChange={(e) => setMeta({ ...meta, description: e.currentTarget.value })} error={je.description} />
                  {je.start && <Text c="red" size="sm">start: {je.start}</Text>}
                  {je.steps && <Text c="red" size="sm">steps: {je.steps}</Text>}
                  <NumberInput label="Targets at once (max_parallel)" min={1} max={1000} value={meta.max_parallel ?? 10} onChange={(x) => setMeta({ ...meta, max_parallel: typeof x === 'number' ? x : undefined })} error={je.max_parallel} />
                  <NumberInput label="Run timeout (s)" min={1} max={604800} value={meta.timeout_s ?? 3600} onChange={(x) => setMeta({ ...meta, timeout_s: typeof x === 'number' ? x : undefined })} error={je.timeout_s} />
                  <NumberInput label="Default step timeout (s)" min={1} max={86400} value={meta.step_timeout_s ?? 600} onChange={(x) => setMeta({ ...meta, step_timeout_s: typeof x === 'number' ? x : undefined })} error={je.step_timeout_s} />
                  <Switch label="Allow overlapping runs" checked={meta.allow_overlap ?? true} onChange={(e) => setMeta({ ...meta, allow_overlap: e.currentTarget.checked })} />
                  <Select label="When the worker is lost" data={[{ value: 'fail', label: 'fail the run' }, { value: 'retry', label: 'retry the run (up to 3 attempts)' }]} value={meta.on_worker_lost ?? 'fail'} onChange={(x) => setMeta({ ...meta, on_worker_lost: (x as 'fail' | 'retry') ?? 'fail' })} error={je.on_worker_lost} />
                </Stack>
              </fieldset>
            </Tabs.Panel>
            <Tabs.Panel value="params" pt="xs">
              <ParamsEditor params={meta.parameters ?? []} onChange={(p) => setMeta({ ...meta, parameters: p })} errors={je} readOnly={!editable} />
            </Tabs.Panel>
            <Tabs.Panel value="targets" pt="xs">
              <TargetPicker value={meta.targets ?? {}} onChange={(t) => setMeta({ ...meta, targets: t })} errors={je} readOnly={!editable} />
            </Tabs.Panel>
            {id && (
              <Tabs.Panel value="versions" pt="xs">
                <ErrorBox error={versions.error} />
                <Table aria-label="Versions">
                  <Table.Tbody>
                    {(versions.data?.items ?? []).map((v) => (
                      <Table.Tr key={v.version}>
                        <Table.Td>v{v.version}</Table.Td>
                        <Table.Td>
                          <Text size="xs">{when(v.created_at)}</Text>
                          <Text size="xs" c="dimmed">
                            {v.created_by_name}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Button size="compact-xs" variant="default" onClick={() => void view(v)}>
                            View
                          </Button>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Tabs.Panel>
            )}
          </Tabs>
        </ScrollArea>
      </Group>
      <Modal opened={viewing !== null} onClose={() => setViewing(null)} title={`Version ${viewing?.version}`} size="xl">
        {viewing?.definition && (
          <Stack>
            <Text size="sm">
              {viewing.definition.steps.length} step(s), saved {when(viewing.created_at)} by {viewing.created_by_name ?? '—'}.
            </Text>
            <pre style={{ maxHeight: 400, overflow: 'auto', fontSize: 12 }}>{JSON.stringify(viewing.definition, null, 2)}</pre>
            {editable && (
              <Group justify="flex-end">
                <Button
                  onClick={() => {
                    load(viewing.definition!);
                    setViewing(null);
                    setSaved(`Version ${viewing.version} loaded: save to make it the current version.`);
                  }}
                >
                  Restore this version
                </Button>
              </Group>
            )}
          </Stack>
        )}
      </Modal>
    </Page>
  );
}

export default function JobBuilder() {
  return (
    <ReactFlowProvider>
      <Builder />
    </ReactFlowProvider>
  );
}
