// problem+json to words and to form fields.
import { describe, expect, it } from 'vitest';
import { ApiError, fieldErrors, problemText, rowErrors } from './problem';

const validation = new ApiError({
  type: 'urn:opsconductor:problem:validation',
  title: 'Invalid input',
  status: 422,
  detail: 'Some fields are not valid; see errors.',
  errors: [
    { field: 'name', message: 'must not be empty' },
    { field: 'host', message: 'is not a valid host name' },
    { field: 'tags[1]', message: 'is too long' },
    { field: 'tags[3]', message: 'is empty' },
  ],
});

describe('fieldErrors', () => {
  it('maps each error to its field, parts of a field named', () => {
    expect(fieldErrors(validation)).toEqual({
      name: 'must not be empty',
      host: 'is not a valid host name',
      tags: '[1]: is too long; [3]: is empty',
    });
  });
  it('is empty for errors that are not problems with fields', () => {
    expect(fieldErrors(new Error('x'))).toEqual({});
    expect(fieldErrors(new ApiError({ type: 'x', title: 'Conflict', status: 409 }))).toEqual({});
  });
});

describe('rowErrors', () => {
  it('groups import errors by row, and keeps the ones without a row', () => {
    const e = new ApiError({
      type: 'urn:opsconductor:problem:validation',
      title: 'Invalid input',
      status: 422,
      errors: [
        { field: 'rows[0].host', message: 'is not a valid host name' },
        { field: 'rows[0].os', message: 'is not one of the allowed values' },
        { field: 'rows[12].name', message: 'is taken' },
        { field: 'file', message: 'is not CSV' },
      ],
    });
    const m = rowErrors(e);
    expect(m.get(0)).toEqual({ host: 'is not a valid host name', os: 'is not one of the allowed values' });
    expect(m.get(12)).toEqual({ name: 'is taken' });
    expect(m.get(-1)).toEqual({ file: 'is not CSV' });
  });
});

describe('problemText', () => {
  it('uses the detail, and quotes the request id of server errors', () => {
    expect(problemText(validation)).toBe('Some fields are not valid; see errors.');
    const e = new ApiError({ type: 'x', title: 'Internal error', status: 500, instance: 'abc123' });
    expect(problemText(e)).toBe('Internal error (request abc123)');
  });
  it('gives the slug of the type', () => {
    expect(new ApiError({ type: 'urn:opsconductor:problem:totp-required', title: 't', status: 401 }).slug).toBe(
      'totp-required',
    );
  });
});
