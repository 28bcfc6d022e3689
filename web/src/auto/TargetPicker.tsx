// Where a job runs: listed targets, members of groups, targets with all of
// some tags; and a preview of the targets that selection matches now.
import { Badge, Loader, MultiSelect, Stack, Table, TagsInput, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import type { ApiClient, List } from '../api/client';
import { useSession } from '../auth/session';
import { useLoad } from '../ui/hooks';
import type { Group, Target } from '../screens/types';
import type { TargetSelection } from './types';

/** The targets a selection matches (union, by id), as the worker expands it. */
export async function previewTargets(client: ApiClient, sel: TargetSelection): Promise<Target[]> {
  const found = new Map<string, Target>();
  const jobs: Promise<void>[] = [];
  for (const id of sel.targets ?? [])
    jobs.push(
      client.get<Target>(`/api/v1/targets/${id}`).then(
        (t) => void found.set(t.id, t),
        () => undefined,
      ),
    );
  for (const g of sel.groups ?? [])
    jobs.push(client.get<List<Target>>(`/api/v1/groups/${g}/members`, { limit: 200 }).then((l) => l.items.forEach((t) => found.set(t.id, t))));
  if (sel.tags?.length)
    jobs.push(client.get<List<Target>>('/api/v1/targets', { tag: sel.tags.join(','), enabled: true, limit: 200 }).then((l) => l.items.forEach((t) => found.set(t.id, t))));
  await Promise.all(jobs);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function TargetPicker({
  value,
  onChange,
  errors,
  readOnly,
}: {
  value: TargetSelection;
  onChange: (v: TargetSelection) => void;
  errors: Record<string, string>;
  readOnly: boolean;
}) {
  const { client } = useSession();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const targets = useLoad(() => client.get<List<Target>>('/api/v1/targets', { q, limit: 50 }), [q]);
  const chosen = useLoad(() => previewTargets(client, { targets: value.targets }), [JSON.stringify(value.targets)]);
  const groups = useLoad(() => client.get<List<Group>>('/api/v1/groups', { limit: 200 }), []);
  const [sel] = useDebouncedValue(value, 400);
  const preview = useLoad(() => previewTargets(client, sel), [JSON.stringify(sel)]);
  const options = new Map<string, string>();
  for (const t of chosen.data ?? []) options.set(t.id, `${t.name} (${t.host})`);
  for (const t of targets.data?.items ?? []) options.set(t.id, `${t.name} (${t.host})`);
  const set = (k: keyof TargetSelection, v: string[]) => {
    const n = { ...value, [k]: v };
    if (!v.length) delete n[k];
    onChange(n);
  };
  const empty = !value.targets?.length && !value.groups?.length && !value.tags?.length;
  return (
    <Stack gap="xs">
      {errors.targets && <Text c="red" size="sm">{errors.targets}</Text>}
      <MultiSelect
        label="Targets"
        searchable
        searchValue={search}
        onSearchChange={setSearch}
        data={[...options].map(([v, l]) => ({ value: v, label: l }))}
        value={value.targets ?? []}
        onChange={(v) => set('targets', v)}
        error={errors['targets.targets']}
        disabled={readOnly}
        data-testid="pick-targets"
      />
      <MultiSelect
        label="Groups (static and dynamic)"
        searchable
        data={(groups.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))}
        value={value.groups ?? []}
        onChange={(v) => set('groups', v)}
        error={errors['targets.groups']}
        disabled={readOnly}
      />
      <TagsInput label="Enabled targets having all these tags" value={value.tags ?? []} onChange={(v) => set('tags', v)} error={errors['targets.tags']} disabled={readOnly} />
      {empty ? (
        <Text size="sm" c="dimmed">
          No selection: the job runs once on the worker itself (only local and HTTP steps may do that).
        </Text>
      ) : (
        <>
          <Text size="sm" fw={600}>
            Matches now {preview.loading ? <Loader size="xs" /> : <Badge data-testid="target-preview-count">{preview.data?.length ?? 0}</Badge>}
          </Text>
          <Table aria-label="Matched targets">
            <Table.Tbody>
              {(preview.data ?? []).slice(0, 50).map((t) => (
                <Table.Tr key={t.id}>
                  <Table.Td>{t.name}</Table.Td>
                  <Table.Td>{t.host}</Table.Td>
                  <Table.Td>{t.protocol}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
    </Stack>
  );
}
