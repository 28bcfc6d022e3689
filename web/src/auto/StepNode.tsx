// A step on the builder's and the run page's canvas: its name, type, the
// start marker, its state in a run and its errors in the builder.
import { Badge, Group, Text } from '@mantine/core';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { StepNodeData } from './jobgraph';
import { stateColor } from './types';

export type StepNodeView = StepNodeData & { state?: string; errorCount?: number; title?: string };
export type StepFlowNode = Node<StepNodeView, 'step'>;

const border: Record<string, string> = {
  running: '#1c7ed6',
  succeeded: '#2f9e44',
  failed: '#e03131',
  timed_out: '#f08c00',
  canceled: '#fab005',
};

export function StepNode({ id, data, selected }: NodeProps<StepFlowNode>) {
  const bad = (data.errorCount ?? 0) > 0;
  const color = bad ? '#e03131' : data.state ? border[data.state] ?? '#adb5bd' : selected ? '#1c7ed6' : '#adb5bd';
  return (
    <div
      data-testid={`node-${id}`}
      data-state={data.state ?? ''}
      style={{
        background: data.state === 'running' ? '#e7f5ff' : 'white',
        border: `2px solid ${color}`,
        borderRadius: 8,
        padding: '6px 10px',
        minWidth: 170,
        boxShadow: selected ? '0 0 0 3px rgba(28,126,214,.25)' : undefined,
      }}
    >
      <Handle type="target" position={Position.Top} />
      <Group gap={4} justify="space-between" wrap="nowrap">
        <Text size="sm" fw={600} truncate>
          {data.step.name || id}
        </Text>
        {data.start && (
          <Badge size="xs" variant="light">
            start
          </Badge>
        )}
      </Group>
      <Text size="xs" c="dimmed">
        {data.title || data.step.type} · {id}
      </Text>
      {data.state && (
        <Badge size="xs" mt={4} color={stateColor[data.state] ?? 'gray'} data-testid={`node-state-${id}`}>
          {data.state.replace('_', ' ')}
        </Badge>
      )}
      {bad && (
        <Badge size="xs" mt={4} color="red">
          {data.errorCount} problem{data.errorCount === 1 ? '' : 's'}
        </Badge>
      )}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
}

export const nodeTypes = { step: StepNode };
