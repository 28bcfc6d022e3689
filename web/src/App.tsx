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
const Jobs = lazy(() => import('./screens/Jobs'));
const JobBuilder = lazy(() => import('./screens/JobBuilder'));
const RunStart = lazy(() => import('./screens/RunStart'));
const Runs = lazy(() => import('./screens/Runs'));
const RunView = lazy(() => import('./screens/RunView'));
const Schedules = lazy(() => import('./screens/Schedules'));
const Audit = lazy(() => import('./screens/Audit'));

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
          <Route path="/jobs" element={<Jobs />} />
          <Route path="/jobs/new" element={can('operator') ? <JobBuilder /> : <Navigate to="/jobs" />} />
          <Route path="/jobs/:id/edit" element={<JobBuilder />} />
          <Route path="/jobs/:id/run" element={can('operator') ? <RunStart /> : <Navigate to="/jobs" />} />
          <Route path="/runs" element={<Runs />} />
          <Route path="/runs/:id" element={<RunView />} />
          <Route path="/schedules" element={<Schedules />} />
          <Route path="/audit" element={can('admin') ? <Audit /> : <Navigate to="/" />} />
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
