// Create or edit a target; the API's validation messages appear at the
// fields they name.
import { Button, Group, NumberInput, Select, Stack, Switch, TagsInput, Textarea, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { List } from '../api/client';
import { useSession } from '../auth/session';
import { useLoad, useSubmit } from '../ui/hooks';
import { ErrorBox } from '../ui/parts';
import type { Credential, Target } from './types';

export interface TargetInput {
  name: string;
  host: string;
  os: string;
  protocol: string;
  port: number | null;
  ssh_user: string | null;
  credential_id: string | null;
  tags: string[];
  description: string;
  enabled: boolean;
}

export function targetInput(t?: Target | null): TargetInput {
  return {
    name: t?.name ?? '',
    host: t?.host ?? '',
    os: t?.os ?? 'linux',
    protocol: t?.protocol ?? 'ssh',
    port: t?.port ?? null,
    ssh_user: t?.ssh_user ?? null,
    credential_id: t?.credential_id ?? null,
    tags: t?.tags ?? [],
    description: t?.description ?? '',
    enabled: t?.enabled ?? true,
  };
}

export function TargetForm({ target, onDone }: { target?: Target | null; onDone: (t: Target) => void }) {
  const { client } = useSession();
  const [v, setV] = useState<TargetInput>(targetInput(target));
  const s = useSubmit();
  const creds = useLoad(() => client.get<List<Credential>>('/api/v1/credentials', { limit: 200 }), []);
  const set = <K extends keyof TargetInput>(k: K, val: TargetInput[K]) => setV((o) => ({ ...o, [k]: val }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body = { ...v, ssh_user: v.ssh_user || null, port: v.port || null };
    let saved: Target | null = null;
    const ok = await s.run(async () => {
      if (target) saved = await client.patch<Target>(`/api/v1/targets/${target.id}`, body, `"${target.version}"`);
      else saved = await client.post<Target>('/api/v1/targets', body);
    });
    if (ok && saved) onDone(saved);
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <TextInput label="Name" required value={v.name} onChange={(e) => set('name', e.currentTarget.value)} error={s.fields.name} />
        <TextInput
          label="Host (name or address)"
          required
          value={v.host}
          onChange={(e) => set('host', e.currentTarget.value)}
          error={s.fields.host}
        />
        <Group grow align="flex-start">
          <Select
            label="Operating system"
            data={['linux', 'windows']}
            value={v.os}
            allowDeselect={false}
            onChange={(x) => {
              set('os', x ?? 'linux');
              set('protocol', x === 'windows' ? 'winrm' : 'ssh');
            }}
            error={s.fields.os}
          />
          <Select
            label="Protocol"
            data={['ssh', 'winrm']}
            value={v.protocol}
            allowDeselect={false}
            onChange={(x) => set('protocol', x ?? 'ssh')}
            error={s.fields.protocol}
          />
        </Group>
        <Group grow align="flex-start">
          <NumberInput
            label="Port (empty: the protocol's default)"
            min={1}
            max={65535}
            value={v.port ?? ''}
            onChange={(x) => set('port', typeof x === 'number' ? x : null)}
            error={s.fields.port}
          />
          <TextInput
            label="SSH user (empty: the credential's)"
            value={v.ssh_user ?? ''}
            onChange={(e) => set('ssh_user', e.currentTarget.value)}
            error={s.fields.ssh_user}
          />
        </Group>
        <Select
          label="Credential"
          placeholder={creds.loading ? 'Loading…' : 'None'}
          clearable
          searchable
          data={(creds.data?.items ?? []).map((c) => ({ value: c.id, label: `${c.name} (${c.type})` }))}
          value={v.credential_id}
          onChange={(x) => set('credential_id', x)}
          error={s.fields.credential_id || creds.error}
        />
        <TagsInput
          label="Tags"
          description="Press Enter after each tag"
          value={v.tags}
          onChange={(x) => set('tags', x)}
          error={s.fields.tags}
        />
        <Textarea
          label="Description"
          autosize
          minRows={2}
          value={v.description}
          onChange={(e) => set('description', e.currentTarget.value)}
          error={s.fields.description}
        />
        <Switch label="Enabled" checked={v.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} />
        {!Object.keys(s.fields).length && <ErrorBox error={s.error} title="Not saved" />}
        <Group justify="flex-end">
          <Button type="submit" loading={s.busy}>
            {target ? 'Save' : 'Create target'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
