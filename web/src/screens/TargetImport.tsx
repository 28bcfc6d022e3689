// Import targets from CSV or JSON, all or nothing, with the errors of
// each row listed by row.
import { Alert, Button, FileButton, Group, SegmentedControl, Stack, Table, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import { rowErrors } from '../api/problem';
import { useSession } from '../auth/session';
import { useSubmit } from '../ui/hooks';
import { ErrorBox } from '../ui/parts';

export function TargetImport({ onDone }: { onDone: (n: number) => void }) {
  const { client } = useSession();
  const [format, setFormat] = useState<'csv' | 'json'>('csv');
  const [text, setText] = useState('');
  const [rows, setRows] = useState<Map<number, Record<string, string>>>(new Map());
  const s = useSubmit();

  async function load(f: File | null) {
    if (!f) return;
    setText(await f.text());
    if (f.name.toLowerCase().endsWith('.json')) setFormat('json');
    else setFormat('csv');
  }

  async function submit() {
    setRows(new Map());
    let created = 0;
    let err: unknown = null;
    const ok = await s.run(async () => {
      try {
        const r = await client.request<{ created: number }>('POST', '/api/v1/targets/import', {
          raw: { type: format === 'csv' ? 'text/csv' : 'application/json', data: text },
        });
        created = r.data.created;
      } catch (e) {
        err = e;
        throw e;
      }
    });
    if (ok) onDone(created);
    else setRows(rowErrors(err));
  }

  const listed = [...rows.entries()].sort((a, b) => a[0] - b[0]);
  return (
    <Stack gap="sm">
      <Text size="sm">
        CSV with a header line (name,host,os,protocol,port,ssh_user,credential,tags,description) or JSON{' '}
        <code>{'{"targets": [...]}'}</code>. Nothing is imported if any row is wrong.
      </Text>
      <Group>
        <SegmentedControl
          aria-label="Format"
          value={format}
          onChange={(v) => setFormat(v as 'csv' | 'json')}
          data={[
            { value: 'csv', label: 'CSV' },
            { value: 'json', label: 'JSON' },
          ]}
        />
        <FileButton onChange={(f) => void load(f)} accept=".csv,.json,text/csv,application/json">
          {(props) => (
            <Button variant="default" {...props}>
              Choose a file
            </Button>
          )}
        </FileButton>
      </Group>
      <Textarea
        label={format === 'csv' ? 'CSV' : 'JSON'}
        autosize
        minRows={6}
        maxRows={16}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        styles={{ input: { fontFamily: 'monospace' } }}
      />
      {listed.length > 0 ? (
        <Alert color="red" title="Nothing was imported; fix these rows" role="alert">
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Row</Table.Th>
                <Table.Th>Field</Table.Th>
                <Table.Th>Problem</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {listed.flatMap(([row, f]) =>
                Object.entries(f).map(([field, msg]) => (
                  <Table.Tr key={`${row}-${field}`}>
                    <Table.Td>{row < 0 ? '—' : row + 1}</Table.Td>
                    <Table.Td>{field}</Table.Td>
                    <Table.Td>{msg}</Table.Td>
                  </Table.Tr>
                )),
              )}
            </Table.Tbody>
          </Table>
        </Alert>
      ) : (
        <ErrorBox error={s.error} title="Nothing was imported" />
      )}
      <Group justify="flex-end">
        <Button onClick={() => void submit()} loading={s.busy} disabled={!text.trim()}>
          Import
        </Button>
      </Group>
    </Stack>
  );
}
