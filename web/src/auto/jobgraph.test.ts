import { describe, expect, it } from 'vitest';
import { graphToJob, jobToGraph, makeEdge, newStepId, pinErrors, renameStep } from './jobgraph';
import type { JobDefinition } from './types';

const job: JobDefinition = {
  name: 'deploy',
  description: 'd',
  parameters: [{ name: 'version', type: 'string', required: true }],
  targets: { tags: ['web'] },
  start: 'build',
  steps: [
    { id: 'prep', type: 'local.noop', inputs: {}, position: { x: 5, y: 6 } },
    {
      id: 'build',
      type: 'ssh.command',
      name: 'Build',
      inputs: { command: 'make {{ params.version }}' },
      retries: 2,
      on_success: ['test', 'prep'],
      on_failure: ['rollback'],
      always: ['notify'],
      position: { x: 100, y: 200 },
    },
    { id: 'test', type: 'ssh.command', inputs: { command: 'make check' }, position: { x: 100, y: 400 } },
    { id: 'rollback', type: 'ssh.command', inputs: { command: 'undo' }, position: { x: 300, y: 400 } },
    { id: 'notify', type: 'http.request', inputs: { url: 'http://127.0.0.1/' }, position: { x: 500, y: 400 } },
  ],
  max_parallel: 5,
  allow_overlap: false,
  on_worker_lost: 'retry',
};

describe('jobgraph', () => {
  it('round-trips a job unchanged', () => {
    const g = jobToGraph(job);
    expect(graphToJob(g.nodes, g.edges, g.meta)).toEqual(job);
  });

  it('keeps positions and marks the start step', () => {
    const g = jobToGraph(job);
    expect(g.nodes.find((n) => n.id === 'build')?.position).toEqual({ x: 100, y: 200 });
    expect(g.nodes.filter((n) => n.data.start).map((n) => n.id)).toEqual(['build']);
    g.nodes[0].position = { x: 42.4, y: 9.6 };
    expect(graphToJob(g.nodes, g.edges, g.meta).steps[0].position).toEqual({ x: 42, y: 10 });
  });

  it('makes one edge per link with the kind, label and colour of it', () => {
    const g = jobToGraph(job);
    const kinds = g.edges.map((e) => `${e.data.kind}:${e.source}->${e.target}:${e.label}`);
    expect(kinds).toEqual([
      'on_success:build->test:success',
      'on_success:build->prep:success',
      'on_failure:build->rollback:failure',
      'always:build->notify:always',
    ]);
    const colours = new Set(g.edges.map((e) => e.style.stroke));
    expect(colours.size).toBe(3);
  });

  it('builds edges of each kind from a new graph, in the order drawn', () => {
    const g = jobToGraph({ name: 'n', steps: [
      { id: 'a', type: 'local.noop', inputs: {} },
      { id: 'b', type: 'local.noop', inputs: {} },
      { id: 'c', type: 'local.noop', inputs: {} },
    ] });
    const edges = [makeEdge('on_failure', 'a', 'c'), makeEdge('on_success', 'a', 'b'), makeEdge('always', 'b', 'c'), makeEdge('on_success', 'a', 'c')];
    const d = graphToJob(g.nodes, edges, g.meta);
    expect(d.start).toBe('a');
    expect(d.steps[0]).toMatchObject({ on_success: ['b', 'c'], on_failure: ['c'] });
    expect(d.steps[0].always).toBeUndefined();
    expect(d.steps[1]).toMatchObject({ always: ['c'] });
    expect(d.steps[2].on_success).toBeUndefined();
    // Positions given to steps that had none: distinct.
    expect(new Set(d.steps.map((s) => `${s.position?.x},${s.position?.y}`)).size).toBe(3);
  });

  it('takes the start from the node flag', () => {
    const g = jobToGraph(job);
    g.nodes = g.nodes.map((n) => ({ ...n, data: { ...n.data, start: n.id === 'prep' } }));
    expect(graphToJob(g.nodes, g.edges, g.meta).start).toBe('prep');
  });

  it('renames a step with its edges', () => {
    const g = jobToGraph(job);
    const r = renameStep(g.nodes, g.edges, 'build', 'compile');
    const d = graphToJob(r.nodes, r.edges, { ...g.meta, start: 'compile' });
    expect(d.steps[1].id).toBe('compile');
    expect(d.steps[1].on_failure).toEqual(['rollback']);
    expect(d.start).toBe('compile');
  });

  it('picks free step ids', () => {
    expect(newStepId('ssh.command', [])).toBe('ssh_command');
    expect(newStepId('ssh.command', [{ id: 'ssh_command' }, { id: 'ssh_command_2' }])).toBe('ssh_command_3');
  });

  it('pins error paths to the steps they name', () => {
    const p = pinErrors(
      [
        { field: 'steps[1].inputs.command', message: 'unknown parameter' },
        { field: 'steps[1].inputs.command', message: 'bad template' },
        { field: 'steps[3]', message: 'unreachable' },
        { field: 'steps[9].type', message: 'no such step' },
        { field: 'parameters[0].regex', message: 'bad regex' },
        { field: 'start', message: 'no such step' },
      ],
      job,
    );
    expect(p.steps.build).toEqual({ 'inputs.command': 'unknown parameter; bad template' });
    expect(p.steps.rollback).toEqual({ '': 'unreachable' });
    expect(p.job).toEqual({ 'steps[9].type': 'no such step', 'parameters[0].regex': 'bad regex', start: 'no such step' });
  });
});
