// Starting a run of a job: a form from the job's parameters (secrets in
// password boxes), optionally other targets, then the run page.
import { Button, Group, Stack, Switch, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { useSession } from '../auth/session';
import { ParamsForm, paramDefaults, paramValues } from '../auto/ParamsForm';
import { TargetPicker } from '../auto/TargetPicker';
import type { Job, Run, TargetSelection } from '../auto/types';
import { useLoad, useSubmit } from '../ui/hooks';
import { ErrorBox, Page } from '../ui/parts';

export default function RunStart() {
  const { id } = useParams();
  const { client } = useSession();
  const nav = useNavigate();
  const job = useLoad(() => client.get<Job>(`/api/v1/jobs/${id}`), [id]);
  const [values, setValues] = useState<Record<string, unknown> | null>(null);
  const [other, setOther] = useState(false);
  const [targets, setTargets] = useState<TargetSelection>({});
  // One key per form: a double click or a retried request starts one run.
  const [key] = useState(() => crypto.randomUUID());
  const s = useSubmit();
  const params = job.data?.definition?.parameters ?? [];
  const v = values ?? paramDefaults(params);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, unknown> = { params: paramValues(params, v) };
    if (other) body.targets = targets;
    let run: Run | null = null;
    const ok = await s.run(async () => {
      const r = await client.request<Run>('POST', `/api/v1/jobs/${id}/runs`, { body, idempotencyKey: key });
      run = r.data;
    });
    if (ok && run) nav(`/runs/${(run as Run).id}`);
  }

  return (
    <Page title={`Run ${job.data?.name ?? ''}`}>
      <ErrorBox error={job.error} />
      {job.data && (
        <form onSubmit={submit} noValidate style={{ maxWidth: 560 }}>
          <Stack gap="sm">
            {params.length === 0 && <Text c="dimmed">This job has no parameters.</Text>}
            <ParamsForm params={params} value={v} onChange={setValues} errors={s.fields} />
            <Switch label="Run on other targets than the job's" checked={other} onChange={(e) => setOther(e.currentTarget.checked)} />
            {other && <TargetPicker value={targets} onChange={setTargets} errors={s.fields} readOnly={false} />}
            <ErrorBox error={s.error} title="Not started" />
            <Group justify="flex-end">
              <Button type="submit" loading={s.busy}>
                Start run
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Page>
  );
}
