// The step form generated from a step type's input description: one
// control per input of the right kind, secrets as password boxes, template
// hints, server errors at their field, and edits written back as typed
// values (maps, integer lists).
import { MantineProvider } from '@mantine/core';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { StepForm, mapText, parseMap } from './StepForm';
import type { JobStep, StepType } from './types';

const type: StepType = {
  name: 'test.all',
  version: 1,
  title: 'Every kind of input',
  description: 'A step type with one input of each kind.',
  where: 'ssh',
  inputs: [
    { name: 'command', type: 'text', required: true, default: null, secret: false, template: true, description: 'What to run.' },
    { name: 'cwd', type: 'string', required: false, default: null, secret: false, template: false, description: 'Working directory.' },
    { name: 'token', type: 'string', required: false, default: null, secret: true, template: false, description: 'A secret.' },
    { name: 'count', type: 'integer', required: false, default: 3, secret: false, template: false, min: 1, max: 9, description: 'How many.' },
    { name: 'sudo', type: 'boolean', required: false, default: false, secret: false, template: false, description: 'As root.' },
    { name: 'shell', type: 'choice', required: false, default: '/bin/sh', secret: false, template: false, choices: ['/bin/sh', '/bin/bash'], description: 'Interpreter.' },
    { name: 'env', type: 'map', required: false, default: null, secret: false, template: true, description: 'Variables.' },
    { name: 'expect', type: 'intlist', required: false, default: null, secret: false, template: false, description: 'Statuses.' },
  ],
};

afterEach(cleanup);

function renderForm(step: JobStep, errors: Record<string, string> = {}) {
  const changes: JobStep[] = [];
  render(
    <MantineProvider>
      <StepForm
        step={step}
        type={type}
        start={false}
        errors={errors}
        readOnly={false}
        onChange={(s) => changes.push(s)}
        onRename={() => {}}
        onStart={() => {}}
        onDelete={() => {}}
      />
    </MantineProvider>,
  );
  return changes;
}

describe('StepForm', () => {
  it('renders one control per input, of the right kind', () => {
    renderForm({ id: 'a', type: 'test.all', inputs: { command: 'uname -a' } });
    const command = screen.getByTestId('input-command');
    expect(command.tagName).toBe('TEXTAREA');
    expect((command as HTMLTextAreaElement).value).toBe('uname -a');
    expect(screen.getByTestId('input-cwd').tagName).toBe('INPUT');
    expect(screen.getByTestId('input-token').getAttribute('type')).toBe('password');
    expect(screen.getByTestId('input-count').getAttribute('placeholder')).toBe('default 3');
    expect(screen.getByRole('switch', { name: /sudo/ })).toBeTruthy();
    expect(screen.getByTestId('input-env').tagName).toBe('TEXTAREA');
    // the template hint only on inputs that take templates
    expect(screen.getAllByText(/Templates: \{\{ params\.NAME \}\}/).length).toBe(2);
  });

  it('puts the server errors at their fields', () => {
    renderForm({ id: 'a', type: 'test.all', inputs: {} }, { 'inputs.command': 'is required', 'inputs.count': 'must be at most 9' });
    expect(screen.getByText('is required')).toBeTruthy();
    expect(screen.getByText('must be at most 9')).toBeTruthy();
  });

  it('writes edits back as typed values', () => {
    const changes = renderForm({ id: 'a', type: 'test.all', inputs: { command: 'x', cwd: '/tmp' } });
    fireEvent.change(screen.getByTestId('input-env'), { target: { value: 'A=1\nB=two=2' } });
    expect(changes.at(-1)?.inputs.env).toEqual({ A: '1', B: 'two=2' });
    fireEvent.change(screen.getByTestId('input-expect'), { target: { value: '200, 204, x' } });
    expect(changes.at(-1)?.inputs.expect).toEqual([200, 204]);
    fireEvent.change(screen.getByTestId('input-cwd'), { target: { value: '' } });
    expect('cwd' in (changes.at(-1)?.inputs ?? {})).toBe(false);
    fireEvent.click(screen.getByRole('switch', { name: /sudo/ }));
    expect(changes.at(-1)?.inputs.sudo).toBe(true);
  });

  it('round-trips maps through their text form', () => {
    expect(parseMap(mapText({ PATH: '/usr/bin', EMPTY: '' }))).toEqual({ PATH: '/usr/bin', EMPTY: '' });
    expect(parseMap('\n  \nK=v=w\n')).toEqual({ K: 'v=w' });
  });
});
