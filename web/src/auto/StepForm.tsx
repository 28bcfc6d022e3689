// The side panel of a selected step: its id, name, start flag, timeouts
// and retries, and a form generated from its step type's inputs.
import { Badge, Button, Checkbox, Group, NumberInput, PasswordInput, Select, Stack, Switch, Text, Textarea, TextInput } from '@mantine/core';
import type { JobStep, StepInput, StepType } from './types';

const templateHint = 'Templates: {{ params.NAME }}, {{ target.host }}, {{ steps.ID.stdout }}';

/** A map input as lines of NAME=value. */
export function mapText(v: unknown): string {
  if (!v || typeof v !== 'object') return '';
  return Object.entries(v as Record<string, string>)
    .map(([k, x]) => `${k}=${x}`)
    .join('\n');
}
export function parseMap(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of s.split('\n')) {
    if (!line.trim()) continue;
    const i = line.indexOf('=');
    if (i < 0) out[line.trim()] = '';
    else out[line.slice(0, i).trim()] = line.slice(i + 1);
  }
  return out;
}

function InputField({ input, value, onChange, error }: { input: StepInput; value: unknown; onChange: (v: unknown) => void; error?: string }) {
  const description = [input.description, input.template ? templateHint : ''].filter(Boolean).join(' — ');
  const common = {
    label: input.name,
    description,
    required: input.required,
    error,
    'data-testid': `input-${input.name}`,
  };
  const placeholder = input.default !== null && input.default !== undefined ? `default ${JSON.stringify(input.default)}` : undefined;
  switch (input.type) {
    case 'text':
      return (
        <Textarea {...common} autosize minRows={3} maxRows={14} placeholder={placeholder} styles={{ input: { fontFamily: 'monospace' } }} value={String(value ?? '')} onChange={(e) => onChange(e.currentTarget.value)} />
      );
    case 'integer':
      return (
        <NumberInput {...common} min={input.min} max={input.max} allowDecimal={false} placeholder={placeholder} value={(value as number | undefined) ?? ''} onChange={(x) => onChange(typeof x === 'number' ? x : undefined)} />
      );
    case 'boolean':
      return (
        <Switch
          label={input.name}
          description={description}
          error={error}
          checked={value === undefined ? input.default === true : !!value}
          onChange={(e) => onChange(e.currentTarget.checked)}
        />
      );
    case 'choice':
      return <Select {...common} data={input.choices ?? []} placeholder={placeholder} value={(value as string) ?? null} onChange={(x) => onChange(x ?? undefined)} clearable />;
    case 'map':
      return (
        <Textarea
          {...common}
          description={`${description} One NAME=value per line.`}
          autosize
          minRows={2}
          styles={{ input: { fontFamily: 'monospace' } }}
          value={mapText(value)}
          onChange={(e) => {
            const m = parseMap(e.currentTarget.value);
            onChange(Object.keys(m).length ? m : undefined);
          }}
        />
      );
    case 'intlist':
      return (
        <TextInput
          {...common}
          description={`${description} Comma-separated.`}
          placeholder={placeholder}
          value={Array.isArray(value) ? value.join(', ') : ''}
          onChange={(e) => {
            const xs = e.currentTarget.value
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean)
              .map(Number)
              .filter((n) => Number.isInteger(n));
            onChange(xs.length ? xs : undefined);
          }}
        />
      );
    default:
      if (input.secret)
        return <PasswordInput {...common} autoComplete="off" value={String(value ?? '')} onChange={(e) => onChange(e.currentTarget.value || undefined)} />;
      return <TextInput {...common} placeholder={placeholder} value={String(value ?? '')} onChange={(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)} />;
  }
}

export function StepForm({
  step,
  type,
  start,
  errors,
  readOnly,
  onChange,
  onRename,
  onStart,
  onDelete,
}: {
  step: JobStep;
  type: StepType | undefined;
  start: boolean;
  errors: Record<string, string>;
  readOnly: boolean;
  onChange: (s: JobStep) => void;
  onRename: (id: string) => void;
  onStart: () => void;
  onDelete: () => void;
}) {
  const setInput = (k: string, v: unknown) => {
    const inputs = { ...step.inputs };
    if (v === undefined) delete inputs[k];
    else inputs[k] = v;
    onChange({ ...step, inputs });
  };
  const num = (k: 'timeout_s' | 'retries' | 'retry_backoff_s') => (x: string | number) =>
    onChange({ ...step, [k]: typeof x === 'number' ? x : undefined });
  const known = new Set(type?.inputs.map((i) => i.name));
  const stray = Object.entries(errors).filter(([k]) => k !== '' && !known.has(k.replace(/^inputs\./, '').split(/[.[]/)[0]) && !['id', 'name', 'timeout_s', 'retries', 'retry_backoff_s'].includes(k));
  return (
    <fieldset disabled={readOnly} style={{ border: 0, padding: 0, margin: 0 }}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={700}>{type?.title ?? step.type}</Text>
          <Badge variant="light">{type?.where ?? '?'}</Badge>
        </Group>
        {type && (
          <Text size="xs" c="dimmed">
            {type.description}
          </Text>
        )}
        {errors[''] && (
          <Text c="red" size="sm" role="alert">
            {errors['']}
          </Text>
        )}
        <TextInput label="Step id" value={step.id} error={errors.id} onChange={(e) => onRename(e.currentTarget.value)} />
        <TextInput label="Display name" value={step.name ?? ''} error={errors.name} onChange={(e) => onChange({ ...step, name: e.currentTarget.value || undefined })} />
        <Checkbox label="Start step (the run begins here)" checked={start} onChange={() => onStart()} />
        {type?.inputs.map((i) => (
          <InputField key={i.name} input={i} value={step.inputs[i.name]} onChange={(v) => setInput(i.name, v)} error={errors[`inputs.${i.name}`]} />
        ))}
        <Group grow>
          <NumberInput label="Timeout (s)" min={1} max={86400} value={step.timeout_s ?? ''} onChange={num('timeout_s')} error={errors.timeout_s} />
          <NumberInput label="Retries" min={0} max={10} value={step.retries ?? ''} onChange={num('retries')} error={errors.retries} />
          <NumberInput label="Backoff (s)" min={0} max={3600} value={step.retry_backoff_s ?? ''} onChange={num('retry_backoff_s')} error={errors.retry_backoff_s} />
        </Group>
        {stray.map(([k, m]) => (
          <Text key={k} c="red" size="sm">
            {k}: {m}
          </Text>
        ))}
        {!readOnly && (
          <Button color="red" variant="light" onClick={onDelete}>
            Delete step
          </Button>
        )}
      </Stack>
    </fieldset>
  );
}
