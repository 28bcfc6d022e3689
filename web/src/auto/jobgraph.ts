// The job definition <-> builder graph conversion (pure): steps become
// nodes (positions kept), on_success/on_failure/always become edges of
// their kind, and the server's error paths are pinned to the nodes.
import type { EdgeKind, JobDefinition, JobStep } from './types';
import { edgeKinds } from './types';

export interface StepNodeData {
  step: JobStep;
  start: boolean;
  [k: string]: unknown;
}

export interface GraphNode {
  id: string;
  type: 'step';
  position: { x: number; y: number };
  data: StepNodeData;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  label: string;
  data: { kind: EdgeKind };
  style: { stroke: string };
}

/** The settings of a job other than its steps. */
export type JobMeta = Omit<JobDefinition, 'steps'>;

export const edgeLook: Record<EdgeKind, { label: string; color: string }> = {
  on_success: { label: 'success', color: '#2f9e44' },
  on_failure: { label: 'failure', color: '#e03131' },
  always: { label: 'always', color: '#1c7ed6' },
};

export function makeEdge(kind: EdgeKind, source: string, target: string): GraphEdge {
  return {
    id: `${kind}:${source}->${target}`,
    source,
    target,
    label: edgeLook[kind].label,
    data: { kind },
    style: { stroke: edgeLook[kind].color },
  };
}

/** Steps without a position are laid out in a column. */
function place(i: number): { x: number; y: number } {
  return { x: 80, y: 40 + i * 140 };
}

export function jobToGraph(def: JobDefinition): { nodes: GraphNode[]; edges: GraphEdge[]; meta: JobMeta } {
  const { steps, ...meta } = def;
  const start = def.start || steps[0]?.id;
  const nodes: GraphNode[] = steps.map((s, i) => {
    const { on_success: _a, on_failure: _b, always: _c, position, ...rest } = s;
    return {
      id: s.id,
      type: 'step',
      position: position ? { x: position.x, y: position.y } : place(i),
      data: { step: { ...rest, inputs: { ...(s.inputs || {}) } }, start: s.id === start },
    };
  });
  const edges: GraphEdge[] = [];
  for (const s of steps)
    for (const k of edgeKinds) for (const t of s[k] || []) edges.push(makeEdge(k, s.id, t));
  return { nodes, edges, meta: { ...meta, start } };
}

export function graphToJob(nodes: GraphNode[], edges: GraphEdge[], meta: JobMeta): JobDefinition {
  const steps: JobStep[] = nodes.map((n) => {
    const s: JobStep = { ...n.data.step, id: n.id, position: { x: Math.round(n.position.x), y: Math.round(n.position.y) } };
    for (const k of edgeKinds) {
      const to = edges.filter((e) => e.source === n.id && e.data.kind === k).map((e) => e.target);
      if (to.length) s[k] = to;
      else delete s[k];
    }
    return s;
  });
  const start = nodes.find((n) => n.data.start)?.id ?? meta.start ?? steps[0]?.id;
  const def: JobDefinition = { ...meta, steps };
  if (start) def.start = start;
  else delete def.start;
  return def;
}

/** A step id not used yet, from the step type's name ("ssh.command" -> ssh_command_2). */
export function newStepId(type: string, nodes: { id: string }[]): string {
  let base = type.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^[^a-z]+/, '');
  if (!base) base = 'step';
  base = base.slice(0, 56);
  const used = new Set(nodes.map((n) => n.id));
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** Renames a step: its node and every edge that names it. */
export function renameStep(nodes: GraphNode[], edges: GraphEdge[], from: string, to: string) {
  const n2 = nodes.map((n) => (n.id === from ? { ...n, id: to, data: { ...n.data, step: { ...n.data.step, id: to } } } : n));
  const e2 = edges.map((e) =>
    e.source === from || e.target === from
      ? makeEdge(e.data.kind, e.source === from ? to : e.source, e.target === from ? to : e.target)
      : e,
  );
  return { nodes: n2, edges: e2 };
}

export interface PinnedErrors {
  /** step id -> field inside the step ("inputs.command", "" for the step) -> message */
  steps: Record<string, Record<string, string>>;
  /** everything else, by path ("name", "parameters[0].regex", "start") */
  job: Record<string, string>;
}

/**
 * The server's 422 errors ("steps[2].inputs.command") pinned to the step
 * they belong to, by the index in the definition that was sent.
 */
export function pinErrors(errors: { field: string; message: string }[], sent: JobDefinition): PinnedErrors {
  const out: PinnedErrors = { steps: {}, job: {} };
  const add = (m: Record<string, string>, k: string, v: string) => {
    m[k] = m[k] ? `${m[k]}; ${v}` : v;
  };
  for (const e of errors) {
    const m = /^steps\[(\d+)\](?:\.(.*))?$/.exec(e.field || '');
    const step = m ? sent.steps[Number(m[1])] : undefined;
    if (m && step) {
      out.steps[step.id] ??= {};
      add(out.steps[step.id], m[2] ?? '', e.message);
    } else {
      add(out.job, e.field || '', e.message);
    }
  }
  return out;
}
