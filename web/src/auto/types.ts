// The shapes of the automation API (jobs, runs, schedules, step types) as
// the screens use them; the job definition follows the automation contract.

export type ParamType = 'string' | 'integer' | 'boolean' | 'choice' | 'secret';

export interface JobParam {
  name: string;
  type: ParamType;
  required?: boolean;
  default?: unknown;
  regex?: string;
  min?: number;
  max?: number;
  choices?: string[];
  description?: string;
}

export interface TargetSelection {
  targets?: string[];
  groups?: string[];
  tags?: string[];
}

export type EdgeKind = 'on_success' | 'on_failure' | 'always';
export const edgeKinds: EdgeKind[] = ['on_success', 'on_failure', 'always'];

export interface JobStep {
  id: string;
  type: string;
  name?: string;
  inputs: Record<string, unknown>;
  timeout_s?: number;
  retries?: number;
  retry_backoff_s?: number;
  on_success?: string[];
  on_failure?: string[];
  always?: string[];
  position?: { x: number; y: number };
}

export interface JobDefinition {
  name: string;
  description?: string;
  parameters?: JobParam[];
  targets?: TargetSelection;
  start?: string;
  steps: JobStep[];
  max_parallel?: number;
  timeout_s?: number;
  step_timeout_s?: number;
  allow_overlap?: boolean;
  on_worker_lost?: 'fail' | 'retry';
}

export interface Job {
  id: string;
  name: string;
  description: string;
  current_version: number;
  updated_by_name: string | null;
  updated_at: string;
  step_count?: number;
  parameters?: JobParam[];
  last_run?: { id: string; state: string; created_at: string } | null;
  definition?: JobDefinition;
}

export interface JobVersion {
  job_id: string;
  version: number;
  created_by_name: string | null;
  created_at: string;
  definition?: JobDefinition;
}

export interface StepInput {
  name: string;
  type: 'string' | 'text' | 'integer' | 'boolean' | 'choice' | 'map' | 'intlist';
  required: boolean;
  default: unknown;
  secret: boolean;
  template: boolean;
  min?: number;
  max?: number;
  choices?: string[];
  description: string;
}

export interface StepType {
  name: string;
  version: number;
  title: string;
  description: string;
  where: 'local' | 'ssh' | 'winrm';
  inputs: StepInput[];
}

export interface RunStep {
  id: string;
  step_id: string;
  step_type: string;
  attempt: number;
  state: string;
  exit_code: number | null;
  exit_signal: string | null;
  stdout: string | null;
  stderr: string | null;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface RunTarget {
  id: string;
  target_id: string | null;
  target_name: string | null;
  host: string | null;
  state: string;
  error: string | null;
  steps: RunStep[];
  duration_ms: number | null;
}

export interface Run {
  id: string;
  job_id: string;
  job_version: number;
  job_name: string;
  state: string;
  params: Record<string, unknown>;
  secret_params: string[];
  trigger: string;
  created_by_name: string | null;
  schedule_id: string | null;
  retry_of: string | null;
  cancel_requested: boolean;
  error: string | null;
  targets_total: number;
  targets_succeeded: number;
  targets_failed: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  targets?: RunTarget[];
}

export interface LogChunk {
  offset: number;
  run_target_id: string | null;
  step_id: string | null;
  stream: string;
  data: string;
  at?: string;
}

export interface Schedule {
  id: string;
  job_id: string;
  job_name: string;
  description: string | null;
  params: Record<string, unknown> | null;
  has_secret_params: boolean;
  targets: TargetSelection | null;
  cron: string;
  time_zone: string;
  enabled: boolean;
  overlap_policy: string;
  misfire_policy: string;
  next_fire_at: string | null;
  last_fire_at: string | null;
  last_run_id: string | null;
  version: number;
}

export const finalStates = ['succeeded', 'failed', 'canceled', 'timed_out'];

export const stateColor: Record<string, string> = {
  queued: 'gray',
  pending: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  timed_out: 'orange',
  canceled: 'yellow',
  skipped: 'gray',
};
