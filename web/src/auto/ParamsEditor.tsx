// The job's parameters in the builder: name, type, required, default,
// regex (strings), min/max (integers), choices, description.
import { ActionIcon, Button, Card, Checkbox, Group, NumberInput, Select, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import type { JobParam, ParamType } from './types';

const types: ParamType[] = ['string', 'integer', 'boolean', 'choice', 'secret'];

function defaultField(p: JobParam, set: (d: unknown) => void, error?: string) {
  if (p.type === 'secret') return <Text size="xs" c="dimmed">A secret has no default.</Text>;
  if (p.type === 'boolean')
    return (
      <Select label="Default" data={['', 'true', 'false']} value={p.default === undefined || p.default === null ? '' : String(p.default)} onChange={(x) => set(x === 'true' ? true : x === 'false' ? false : undefined)} error={error} />
    );
  if (p.type === 'integer')
    return <NumberInput label="Default" allowDecimal={false} value={(p.default as number | undefined) ?? ''} onChange={(x) => set(typeof x === 'number' ? x : undefined)} error={error} />;
  if (p.type === 'choice') return <Select label="Default" data={p.choices ?? []} clearable value={(p.default as string) ?? null} onChange={(x) => set(x ?? undefined)} error={error} />;
  return <TextInput label="Default" value={String(p.default ?? '')} onChange={(e) => set(e.currentTarget.value === '' ? undefined : e.currentTarget.value)} error={error} />;
}

export function ParamsEditor({
  params,
  onChange,
  errors,
  readOnly,
}: {
  params: JobParam[];
  onChange: (p: JobParam[]) => void;
  errors: Record<string, string>;
  readOnly: boolean;
}) {
  const set = (i: number, p: Partial<JobParam>) => {
    const next = params.map((x, j) => {
      if (j !== i) return x;
      const y: JobParam = { ...x, ...p };
      for (const k of Object.keys(y) as (keyof JobParam)[]) if (y[k] === undefined) delete y[k];
      return y;
    });
    onChange(next);
  };
  const err = (i: number, k?: string) => errors[k ? `parameters[${i}].${k}` : `parameters[${i}]`];
  return (
    <fieldset disabled={readOnly} style={{ border: 0, padding: 0, margin: 0 }}>
      <Stack gap="sm">
        {errors.parameters && <Text c="red" size="sm">{errors.parameters}</Text>}
        {params.map((p, i) => (
          <Card key={i} withBorder padding="xs">
            <Stack gap={6}>
              <Group align="flex-end" wrap="nowrap">
                <TextInput label="Name" value={p.name} onChange={(e) => set(i, { name: e.currentTarget.value })} error={err(i, 'name') ?? err(i)} style={{ flex: 1 }} />
                <Select
                  label="Type"
                  data={types}
                  value={p.type}
                  onChange={(x) => set(i, { type: (x as ParamType) ?? 'string', default: undefined, regex: undefined, choices: x === 'choice' ? p.choices ?? [] : undefined, min: undefined, max: undefined })}
                  error={err(i, 'type')}
                  w={110}
                />
                <ActionIcon variant="subtle" color="red" aria-label={`Remove parameter ${p.name}`} onClick={() => onChange(params.filter((_, j) => j !== i))} mb={4}>
                  <IconTrash size={16} />
                </ActionIcon>
              </Group>
              <Checkbox label="Required" checked={!!p.required} onChange={(e) => set(i, { required: e.currentTarget.checked || undefined })} />
              {p.type === 'string' && (
                <TextInput label="Regex (POSIX extended)" value={p.regex ?? ''} onChange={(e) => set(i, { regex: e.currentTarget.value || undefined })} error={err(i, 'regex')} />
              )}
              {p.type === 'integer' && (
                <Group grow>
                  <NumberInput label="Min" allowDecimal={false} value={p.min ?? ''} onChange={(x) => set(i, { min: typeof x === 'number' ? x : undefined })} error={err(i, 'min')} />
                  <NumberInput label="Max" allowDecimal={false} value={p.max ?? ''} onChange={(x) => set(i, { max: typeof x === 'number' ? x : undefined })} error={err(i, 'max')} />
                </Group>
              )}
              {p.type === 'choice' && <TagsInput label="Choices" value={p.choices ?? []} onChange={(c) => set(i, { choices: c })} error={err(i, 'choices')} />}
              {defaultField(p, (d) => set(i, { default: d }), err(i, 'default'))}
              <TextInput label="Description" value={p.description ?? ''} onChange={(e) => set(i, { description: e.currentTarget.value || undefined })} />
            </Stack>
          </Card>
        ))}
        {!readOnly && (
          <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => onChange([...params, { name: `param${params.length + 1}`, type: 'string' }])}>
            Add parameter
          </Button>
        )}
      </Stack>
    </fieldset>
  );
}
