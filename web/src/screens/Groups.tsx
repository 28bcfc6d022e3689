// Groups: static (members chosen by hand) and dynamic (a filter on tags,
// OS and a name pattern); the members of each as the API computes them.
import {
  Badge,
  Button,
  Drawer,
  Group as Row,
  Modal,
  MultiSelect,
  Select,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import { useLoad, useSubmit } from '../ui/hooks';
import { ErrorBox, Note, Page } from '../ui/parts';
import { ReachBadge } from './Targets';
import type { Group, Target } from './types';

function filterWords(g: Group): string {
  if (!g.dynamic || !g.filter) return 'static';
  const b: string[] = [];
  if (g.filter.tags?.length) b.push(`tags ${g.filter.tags.join(', ')}`);
  if (g.filter.os) b.push(`os ${g.filter.os}`);
  if (g.filter.name_pattern) b.push(`name ${g.filter.name_pattern}`);
  return b.join('; ') || 'every target';
}

export default function Groups() {
  const { client, can } = useSession();
  const operator = can('operator');
  const list = useLoad(() => client.get<List<Group>>('/api/v1/groups', { limit: 200 }), []);
  const [editing, setEditing] = useState<Group | 'new' | null>(null);
  const [open, setOpen] = useState<Group | null>(null);
  const s = useSubmit();

  async function remove(g: Group) {
    if (!window.confirm(`Delete group ${g.name}? Its targets stay.`)) return;
    await s.run(() => client.del(`/api/v1/groups/${g.id}`));
    list.reload();
  }

  return (
    <Page
      title="Groups"
      actions={
        operator && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New group
          </Button>
        )
      }
    >
      <ErrorBox error={list.error || s.error} />
      <Table.ScrollContainer minWidth={500}>
        <Table striped aria-label="Groups">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Members</Table.Th>
              {operator && <Table.Th>Actions</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((g) => (
              <Table.Tr key={g.id}>
                <Table.Td>
                  <Button variant="subtle" size="compact-sm" px={4} onClick={() => setOpen(g)}>
                    {g.name}
                  </Button>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={g.dynamic ? 'grape' : 'blue'}>
                    {g.dynamic ? 'dynamic' : 'static'}
                  </Badge>{' '}
                  <Text span size="sm">
                    {g.dynamic ? filterWords(g) : ''}
                  </Text>
                </Table.Td>
                <Table.Td>{g.member_count}</Table.Td>
                {operator && (
                  <Table.Td>
                    <Row gap={4} wrap="nowrap">
                      <Button size="compact-sm" variant="default" onClick={() => setEditing(g)}>
                        Edit
                      </Button>
                      <Button size="compact-sm" color="red" variant="light" onClick={() => void remove(g)}>
                        Delete
                      </Button>
                    </Row>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.data && list.data.items.length === 0 && <Text c="dimmed">No groups yet.</Text>}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New group' : 'Edit group'} size="lg">
        {editing !== null && (
          <GroupForm
            group={editing === 'new' ? null : editing}
            onDone={() => {
              setEditing(null);
              list.reload();
            }}
          />
        )}
      </Modal>
      <Drawer opened={open !== null} onClose={() => setOpen(null)} position="right" size="lg" title={open?.name}>
        {open && <Members group={open} onChanged={list.reload} />}
      </Drawer>
    </Page>
  );
}

function GroupForm({ group, onDone }: { group: Group | null; onDone: () => void }) {
  const { client } = useSession();
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [dynamic, setDynamic] = useState(group?.dynamic ?? false);
  const [tags, setTags] = useState<string[]>(group?.filter?.tags ?? []);
  const [os, setOs] = useState<string | null>(group?.filter?.os ?? null);
  const [pattern, setPattern] = useState(group?.filter?.name_pattern ?? '');
  const s = useSubmit();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const filter: Record<string, unknown> = {};
    if (tags.length) filter.tags = tags;
    if (os) filter.os = os;
    if (pattern) filter.name_pattern = pattern;
    const body: Record<string, unknown> = { name, description, dynamic };
    if (dynamic) body.filter = filter;
    const ok = await s.run(() =>
      group ? client.patch(`/api/v1/groups/${group.id}`, body, `"${group.version}"`) : client.post('/api/v1/groups', body),
    );
    if (ok) onDone();
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
        <Textarea label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={s.fields.description} />
        <Switch
          label="Dynamic: members are the targets matching a filter"
          checked={dynamic}
          onChange={(e) => setDynamic(e.currentTarget.checked)}
          disabled={!!group}
        />
        {dynamic && (
          <>
            <TagsInput label="Has all these tags" value={tags} onChange={setTags} error={s.fields.filter} />
            <Select label="OS" clearable data={['linux', 'windows']} value={os} onChange={setOs} />
            <TextInput label="Name pattern (glob, e.g. web-*)" value={pattern} onChange={(e) => setPattern(e.currentTarget.value)} />
            <FilterPreview tags={tags} os={os} pattern={pattern} />
          </>
        )}
        {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not saved" />}
        <Row justify="flex-end">
          <Button type="submit" loading={s.busy}>
            {group ? 'Save' : 'Create group'}
          </Button>
        </Row>
      </Stack>
    </form>
  );
}

/** The targets a dynamic group's filter matches now (POST /groups/preview). */
function FilterPreview({ tags, os, pattern }: { tags: string[]; os: string | null; pattern: string }) {
  const { client } = useSession();
  const [f] = useDebouncedValue({ tags, os, pattern }, 400);
  const preview = useLoad(() => {
    const filter: Record<string, unknown> = {};
    if (f.tags.length) filter.tags = f.tags;
    if (f.os) filter.os = f.os;
    if (f.pattern) filter.name_pattern = f.pattern;
    return client.post<List<Target>>('/api/v1/groups/preview', { filter });
  }, [JSON.stringify(f)]);
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>
        Members now:{' '}
        <Badge data-testid="group-preview-total">{preview.data ? preview.data.total : preview.loading ? '…' : '?'}</Badge>
      </Text>
      {preview.error && (
        <Text size="xs" c="dimmed">
          No preview: {preview.error}
        </Text>
      )}
      <Table aria-label="Matching targets">
        <Table.Tbody>
          {(preview.data?.items ?? []).map((t) => (
            <Table.Tr key={t.id}>
              <Table.Td>{t.name}</Table.Td>
              <Table.Td>{t.host}</Table.Td>
              <Table.Td>{t.os}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {preview.data && preview.data.total > preview.data.items.length && (
        <Text size="xs" c="dimmed">
          First {preview.data.items.length} of {preview.data.total}.
        </Text>
      )}
    </Stack>
  );
}

function Members({ group, onChanged }: { group: Group; onChanged: () => void }) {
  const { client, can } = useSession();
  const members = useLoad(() => client.get<List<Target>>(`/api/v1/groups/${group.id}/members`, { limit: 200 }), [group.id]);
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 300);
  const found = useLoad(
    () => (group.dynamic ? Promise.resolve(null) : client.get<List<Target>>('/api/v1/targets', { q, limit: 50 })),
    [q, group.dynamic],
  );
  const [add, setAdd] = useState<string[]>([]);
  const s = useSubmit();

  async function change(body: { add?: string[]; remove?: string[] }) {
    const ok = await s.run(() => client.post(`/api/v1/groups/${group.id}/members`, body));
    if (ok) {
      setAdd([]);
      members.reload();
      onChanged();
    }
  }

  const editable = !group.dynamic && can('operator');
  return (
    <Stack gap="sm">
      {group.dynamic && <Note title="Dynamic group">Members: {filterWords(group)}. They change as targets change.</Note>}
      <ErrorBox error={members.error || s.error} />
      {editable && (
        <Row align="flex-end">
          <MultiSelect
            label="Add targets"
            searchable
            searchValue={search}
            onSearchChange={setSearch}
            data={(found.data?.items ?? []).map((t) => ({ value: t.id, label: `${t.name} (${t.host})` }))}
            value={add}
            onChange={setAdd}
            style={{ flex: 1 }}
          />
          <Button onClick={() => void change({ add })} disabled={!add.length} loading={s.busy}>
            Add
          </Button>
        </Row>
      )}
      <Text size="sm" c="dimmed">
        {members.data ? `${members.data.total} member(s)` : 'Loading…'}
      </Text>
      <Table aria-label="Members">
        <Table.Tbody>
          {members.data?.items.map((t) => (
            <Table.Tr key={t.id}>
              <Table.Td>{t.name}</Table.Td>
              <Table.Td>{t.host}</Table.Td>
              <Table.Td>
                <ReachBadge r={t.reachability} />
              </Table.Td>
              {editable && (
                <Table.Td>
                  <Button size="compact-xs" variant="subtle" color="red" onClick={() => void change({ remove: [t.id] })}>
                    Remove
                  </Button>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
