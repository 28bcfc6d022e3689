// The signed-in session for the app: who is signed in, sign in/out,
// sign-out everywhere, and what the role may do.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, type ApiClient, type Role, type SessionUser } from '../api/client';

export interface Session {
  user: SessionUser | null;
  /** True until the refresh cookie has been tried once at start. */
  starting: boolean;
  online: boolean;
  client: ApiClient;
  signOut: () => Promise<void>;
  signOutEverywhere: () => Promise<void>;
  can: (role: Role) => boolean;
}

const rank: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function roleAtLeast(user: SessionUser | null, role: Role): boolean {
  return !!user && rank[user.role] >= rank[role];
}

const Ctx = createContext<Session | null>(null);

export function SessionProvider({ client = api, children }: { client?: ApiClient; children: ReactNode }) {
  const [user, setUser] = useState<SessionUser | null>(null);
  const [starting, setStarting] = useState(true);
  const [online, setOnline] = useState(true);

  useEffect(() => {
    client.onUser = setUser;
    client.onConnection = setOnline;
    let live = true;
    // A reload keeps the session through the refresh cookie.
    client
      .refresh()
      .catch(() => null)
      .finally(() => live && setStarting(false));
    return () => {
      live = false;
    };
  }, [client]);

  const signOut = useCallback(() => client.logout(), [client]);
  const signOutEverywhere = useCallback(async () => {
    // Revoke every other session of mine, then this one.
    const list = await client.get<{ items: { id: string; current: boolean; revoked_at: string | null }[] }>(
      '/api/v1/sessions',
      { limit: 200 },
    );
    for (const s of list.items) {
      if (!s.current && !s.revoked_at) await client.del(`/api/v1/sessions/${s.id}`);
    }
    await client.logout();
  }, [client]);

  const value = useMemo<Session>(
    () => ({ user, starting, online, client, signOut, signOutEverywhere, can: (r: Role) => roleAtLeast(user, r) }),
    [user, starting, online, client, signOut, signOutEverywhere],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
