import { MantineProvider } from '@mantine/core';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ParamsForm, paramDefaults, paramValues } from './ParamsForm';
import type { JobParam } from './types';

const params: JobParam[] = [
  { name: 'version', type: 'string', required: true, default: '1.0' },
  { name: 'count', type: 'integer', min: 1, max: 5 },
  { name: 'token', type: 'secret', required: true },
  { name: 'env', type: 'choice', choices: ['prod', 'stage'] },
];

describe('ParamsForm', () => {
  it('starts from defaults and sends only set values', () => {
    expect(paramDefaults(params)).toEqual({ version: '1.0' });
    expect(paramValues(params, { version: '2', count: undefined, token: '', env: 'prod' })).toEqual({ version: '2', env: 'prod' });
  });

  it('renders a secret as a password box and puts params.x errors at x', () => {
    render(
      <MantineProvider>
        <ParamsForm params={params} value={{}} onChange={() => {}} errors={{ params: 'version: does not match ^[0-9.]+$; token: is required' }} />
      </MantineProvider>,
    );
    expect(screen.getByLabelText(/token/).getAttribute('type')).toBe('password');
    expect(screen.getByText('does not match ^[0-9.]+$')).toBeTruthy();
    expect(screen.getByText('is required')).toBeTruthy();
  });
});
