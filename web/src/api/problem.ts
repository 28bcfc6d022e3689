// problem+json (RFC 9457) from the API: the error type and its mapping to
// words at the right form field.

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

/** Status 0 means the server could not be reached at all. */
export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  /** The slug of the type: urn:opsconductor:problem:<slug>. */
  get slug(): string {
    const t = this.problem.type || '';
    const i = t.lastIndexOf(':');
    return i >= 0 ? t.slice(i + 1) : t;
  }
}

export function networkProblem(): Problem {
  return {
    type: 'urn:opsconductor:problem:network',
    title: 'The server cannot be reached',
    status: 0,
    detail: 'The server cannot be reached. Check the connection; it is retried.',
  };
}

/** Whatever the API answered that is not problem+json (a proxy page). */
export function httpProblem(status: number, statusText: string): Problem {
  return {
    type: 'about:blank',
    title: statusText || `HTTP ${status}`,
    status,
    detail: `The server answered ${status}${statusText ? ' ' + statusText : ''}.`,
  };
}

/** One sentence for a person: the detail, else the title. */
export function problemText(err: unknown): string {
  if (err instanceof ApiError) {
    const p = err.problem;
    let s = p.detail || p.title || 'Something went wrong.';
    if (p.instance && p.status >= 500) s += ` (request ${p.instance})`;
    return s;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The top-level field a path like "tags[2]" or "rows[3].host" belongs to. */
function splitField(path: string): [string, string] {
  const m = /^([^.[]+)(.*)$/.exec(path);
  if (!m) return [path, ''];
  return [m[1], m[2].replace(/^\./, '')];
}

function add(out: Record<string, string>, key: string, msg: string) {
  out[key] = out[key] ? `${out[key]}; ${msg}` : msg;
}

/**
 * Field name -> message for a form. Messages for a part of a field
 * ("tags[1]") are kept on the field, naming the part.
 */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError) || !err.problem.errors) return out;
  for (const e of err.problem.errors) {
    const [top, rest] = splitField(e.field || '');
    add(out, top, rest ? `${rest}: ${e.message}` : e.message);
  }
  return out;
}

/**
 * Errors of an import, per row: "rows[3].host" -> {3: {host: msg}}.
 * Errors that name no row are under -1.
 */
export function rowErrors(err: unknown): Map<number, Record<string, string>> {
  const out = new Map<number, Record<string, string>>();
  if (!(err instanceof ApiError) || !err.problem.errors) return out;
  for (const e of err.problem.errors) {
    const m = /^(?:rows|targets)\[(\d+)\]\.?(.*)$/.exec(e.field || '');
    const row = m ? Number(m[1]) : -1;
    const field = m ? m[2] || 'row' : e.field || 'file';
    const cur = out.get(row) ?? {};
    add(cur, field, e.message);
    out.set(row, cur);
  }
  return out;
}
