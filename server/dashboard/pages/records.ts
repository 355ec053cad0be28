/**
 * The pages a record's `url` opens (issue 18): /dashboard/leads/:id, /dashboard/appointments/:id and
 * /dashboard/contacts/:id, within the signed-in clinic. An id that is not a UUID, unknown, or of
 * another clinic is the dashboard's 404.
 */
import type { ServerDeps } from '../../context';
import { notFound } from '../../errors';
import { loadAppointment, loadContact, loadLead } from '../loaders/records';
import { appointmentPage, contactPage, leadPage } from '../views/records';
import { render, Uuid, type Ctx, type DashboardApp } from './common';

/** The route's `:id`, or the page of the record that is not there. */
function recordId(c: Ctx, what: string): string {
  const id = Uuid.safeParse(c.req.param('id'));
  if (!id.success) throw notFound(what);
  return id.data;
}

export function registerRecordPages(dash: DashboardApp, { database: { db }, config: links }: ServerDeps): void {
  dash.get('/leads/:id', async (c) => {
    const { session } = c.var;
    return render(c, leadPage(session, await loadLead(db, links, session.clinicId, recordId(c, 'Lead'))));
  });
  dash.get('/appointments/:id', async (c) => {
    const { session } = c.var;
    return render(c, appointmentPage(session, await loadAppointment(db, links, session.clinicId, recordId(c, 'Appointment'))));
  });
  dash.get('/contacts/:id', async (c) => {
    const { session } = c.var;
    return render(c, contactPage(session, await loadContact(db, links, session.clinicId, recordId(c, 'Campaign contact'))));
  });
}
