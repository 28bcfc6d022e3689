// The frame around every screen: navigation (a drawer at phone width),
// who is signed in, sign-out, and the lost-connection banner.
import { Alert, AppShell, Burger, Button, Group, Menu, NavLink, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconCalendarTime,
  IconDashboard,
  IconKey,
  IconLock,
  IconLogout,
  IconPlayerPlay,
  IconRadar,
  IconServer,
  IconSitemap,
  IconStack2,
  IconUser,
  IconUsers,
  IconWifiOff,
  IconDevices,
  IconHistory,
} from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link, useLocation } from 'react-router-dom';
import { useSession } from '../auth/session';
import type { Role } from '../api/client';

const links: { to: string; label: string; icon: typeof IconDashboard; role?: Role }[] = [
  { to: '/', label: 'Dashboard', icon: IconDashboard },
  { to: '/targets', label: 'Targets', icon: IconServer },
  { to: '/groups', label: 'Groups', icon: IconStack2 },
  { to: '/credentials', label: 'Credentials', icon: IconLock },
  { to: '/discovery', label: 'Discovery', icon: IconRadar },
  { to: '/jobs', label: 'Jobs', icon: IconSitemap },
  { to: '/runs', label: 'Runs', icon: IconPlayerPlay },
  { to: '/schedules', label: 'Schedules', icon: IconCalendarTime },
  { to: '/users', label: 'Users', icon: IconUsers, role: 'admin' },
  { to: '/audit', label: 'Audit log', icon: IconHistory, role: 'admin' },
  { to: '/sessions', label: 'Sessions', icon: IconDevices },
  { to: '/api-keys', label: 'API keys', icon: IconKey },
];

export function Shell({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const { user, online, can, signOut, signOutEverywhere } = useSession();
  const loc = useLocation();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text fw={700}>OpsConductor</Text>
          </Group>
          <Menu position="bottom-end">
            <Menu.Target>
              <UnstyledButton aria-label="Account" data-testid="account">
                <Group gap={6} wrap="nowrap">
                  <IconUser size={18} aria-hidden />
                  <Text size="sm">
                    {user?.username} <Text span c="dimmed" size="xs">({user?.role})</Text>
                  </Text>
                </Group>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item component={Link} to="/profile" leftSection={<IconUser size={16} />}>
                My profile
              </Menu.Item>
              <Menu.Item onClick={() => void signOut()} leftSection={<IconLogout size={16} />}>
                Sign out
              </Menu.Item>
              <Menu.Item onClick={() => void signOutEverywhere()} leftSection={<IconLogout size={16} />}>
                Sign out everywhere
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {links
          .filter((l) => !l.role || can(l.role))
          .map((l) => (
            <NavLink
              key={l.to}
              component={Link}
              to={l.to}
              label={l.label}
              leftSection={<l.icon size={18} aria-hidden />}
              active={l.to === '/' ? loc.pathname === '/' : loc.pathname.startsWith(l.to)}
              onClick={close}
            />
          ))}
      </AppShell.Navbar>
      <AppShell.Main>
        {!online && (
          <Alert color="orange" icon={<IconWifiOff aria-hidden />} title="Connection lost" mb="md" role="status">
            The server cannot be reached. Retrying…{' '}
            <Button variant="subtle" size="compact-sm" onClick={() => window.location.reload()}>
              Reload now
            </Button>
          </Alert>
        )}
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
