// An honest placeholder for screens whose API is not there yet.
import { Page, Note } from '../ui/parts';

export function NotYet({ what, missing }: { what: string; missing?: boolean }) {
  return (
    <Page title={missing ? 'Not found' : what}>
      <Note title={missing ? 'There is no such page' : 'Not available yet'}>
        {missing
          ? 'Use the menu to find what you were looking for.'
          : `${what} arrive with the automation API (jobs, runs, schedules and events), which this server does not offer yet.`}
      </Note>
    </Page>
  );
}
