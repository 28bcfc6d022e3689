// Routes: the sign-in screen until a session exists, then the shell with
// every screen (heavy ones loaded on demand).
import { Center, Loader } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { useSession } from './auth/session';
import { Shell } from './ui/Shell';
import { SignIn } from './screens/SignIn';
import { Dashboard } from './screens/Dashboard';
import { NotYet } from './screens/NotYet';

const Targets = lazy(() => import('./screens/Targets'));
const Groups = lazy(() => import('./screens/Groups'));
const Credentials = lazy(() => import('./screens/Credentials'));
const Discovery = lazy(() => import('./screens/Discovery'));
const Users = lazy(() => import('./screens/Users'));
const Sessions = lazy(() => import('./screens/Sessions'));
const ApiKeys = lazy(() => import('./screens/ApiKeys'));
const Profile = lazy(() => import('./screens/Profile'));

function Loading() {
  return (
    <Center h={200}>
      <Loader aria-label="Loading" />
    </Center>
  );
}

export function App() {
  const { user, starting, can } = useSession();
  if (starting) return <Loading />;
  if (!user) return <SignIn />;
  return (
    <Shell>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={<Dashboard />} />
          <Route path="/targets" element={<Targets />} />
          <Route path="/groups" element={<Groups />} />
          <Route path="/credentials" element={<Credentials />} />
          <Route path="/discovery" element={<Discovery />} />
          <Route path="/jobs" element={<NotYet what="Jobs and the visual job builder" />} />
          <Route path="/runs" element={<NotYet what="Runs and live output" />} />
          <Route path="/schedules" element={<NotYet what="Schedules" />} />
          <Route path="/users" element={can('admin') ? <Users /> : <Navigate to="/" />} />
          <Route path="/sessions" element={<Sessions />} />
          <Route path="/api-keys" element={<ApiKeys />} />
          <Route path="/profile" element={<Profile />} />
          <Route path="*" element={<NotYet what="This page" missing />} />
        </Routes>
      </Suspense>
    </Shell>
  );
}
