// The values of a job's parameters as a form (run start, schedules): one
// field per parameter of its type, secrets in password boxes.
import { NumberInput, PasswordInput, Select, Stack, Switch, TextInput } from '@mantine/core';
import type { JobParam } from './types';

/** The starting values: each parameter's default, if any. */
export function paramDefaults(params: JobParam[]): Record<string, unknown> {
  const v: Record<string, unknown> = {};
  for (const p of params) if (p.default !== undefined && p.default !== null) v[p.name] = p.default;
  return v;
}

/** The values to send: empty strings and unset numbers left out. */
export function paramValues(params: JobParam[], v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of params) {
    const x = v[p.name];
    if (x === undefined || x === null || x === '') continue;
    out[p.name] = x;
  }
  return out;
}

export function ParamsForm({
  params,
  value,
  onChange,
  errors,
  prefix = 'params',
}: {
  params: JobParam[];
  value: Record<string, unknown>;
  onChange: (v: Record<string, unknown>) => void;
  errors: Record<string, string>;
  prefix?: string;
}) {
  const set = (k: string, x: unknown) => onChange({ ...value, [k]: x });
  // fieldErrors keeps "params.x" under "params" as "x: message".
  const err = (k: string) => {
    const own = errors[`${prefix}.${k}`] ?? errors[k];
    if (own) return own;
    const parts = (errors[prefix] ?? '').split('; ').filter((m) => m.startsWith(`${k}: `));
    return parts.length ? parts.map((m) => m.slice(k.length + 2)).join('; ') : undefined;
  };
  return (
    <Stack gap="xs">
      {params.map((p) => {
        const common = { label: p.name, description: p.description || undefined, required: !!p.required, error: err(p.name) };
        switch (p.type) {
          case 'secret':
            return (
              <PasswordInput key={p.name} {...common} value={String(value[p.name] ?? '')} onChange={(e) => set(p.name, e.currentTarget.value)} autoComplete="off" />
            );
          case 'integer':
            return (
              <NumberInput
                key={p.name}
                {...common}
                min={p.min}
                max={p.max}
                allowDecimal={false}
                value={(value[p.name] as number | undefined) ?? ''}
                onChange={(x) => set(p.name, typeof x === 'number' ? x : undefined)}
              />
            );
          case 'boolean':
            return <Switch key={p.name} label={p.name} description={p.description || undefined} checked={!!value[p.name]} onChange={(e) => set(p.name, e.currentTarget.checked)} />;
          case 'choice':
            return <Select key={p.name} {...common} data={p.choices ?? []} value={(value[p.name] as string) ?? null} onChange={(x) => set(p.name, x ?? undefined)} clearable={!p.required} />;
          default:
            return (
              <TextInput
                key={p.name}
                {...common}
                placeholder={p.regex ? `matches ${p.regex}` : undefined}
                value={String(value[p.name] ?? '')}
                onChange={(e) => set(p.name, e.currentTarget.value)}
              />
            );
        }
      })}
    </Stack>
  );
}
