// The preferences card: the colour scheme follows the system until the
// person picks light or dark, and the choice is applied and kept.
import { MantineProvider, localStorageColorSchemeManager } from '@mantine/core';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Preferences } from './Profile';

afterEach(cleanup);

describe('Preferences', () => {
  it('switches the colour scheme and keeps the choice', () => {
    const manager = localStorageColorSchemeManager({ key: 'oc-test-scheme' });
    window.localStorage.removeItem('oc-test-scheme');
    render(
      <MantineProvider defaultColorScheme="auto" colorSchemeManager={manager}>
        <Preferences />
      </MantineProvider>,
    );
    expect((screen.getByLabelText('Follow the system') as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByLabelText('Dark'));
    expect((screen.getByLabelText('Dark') as HTMLInputElement).checked).toBe(true);
    expect(document.documentElement.getAttribute('data-mantine-color-scheme')).toBe('dark');
    expect(window.localStorage.getItem('oc-test-scheme')).toBe('dark');
  });
});
