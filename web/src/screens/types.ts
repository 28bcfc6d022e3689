// The shapes of what the API answers, as the screens use them.
export interface Who {
  id: string;
  username: string;
}

export interface Target {
  id: string;
  name: string;
  host: string;
  os: 'linux' | 'windows';
  protocol: 'ssh' | 'winrm';
  port: number | null;
  ssh_user: string | null;
  ssh_host_key: string | null;
  ssh_host_key_pending: string | null;
  ssh_host_key_pending_type: string | null;
  credential_id: string | null;
  credential_name: string | null;
  tags: string[];
  description: string;
  enabled: boolean;
  reachability: string;
  last_test: {
    error?: string | null;
    reachable?: boolean;
    authenticated?: boolean;
    latency_ms?: number;
    os?: string;
    server?: string;
  } | null;
  last_test_at: string | null;
  detected_os: string | null;
  test_task: { id: string; state: string } | null;
  version: number;
}

export interface Credential {
  id: string;
  name: string;
  type: string;
  username: string | null;
  domain: string | null;
  key_type: string | null;
  key_fingerprint: string | null;
  description: string;
  used_by_targets: number;
  updated_by: Who | null;
  updated_at: string;
  version: number;
}

export interface Group {
  id: string;
  name: string;
  description: string;
  dynamic: boolean;
  filter: { tags?: string[]; os?: string; name_pattern?: string } | null;
  member_count: number;
  version: number;
}

export interface TestTask {
  id: string;
  state: string;
  target_id: string;
  result: (NonNullable<Target['last_test']> & { error?: string | null }) | null;
  error: string | null;
}
