/** The calendar week of the clinic (?week=YYYY-MM-DD picks the week). */
import type { ServerDeps } from '../../context';
import { loadWeek } from '../loaders/calendar';
import { calendarPage } from '../views/calendar';
import { render, type DashboardApp } from './common';

export function registerCalendarPage(dash: DashboardApp, { database: { db }, config: links }: ServerDeps): void {
  dash.get('/calendar', async (c) => {
    const session = c.var.session;
    return render(c, calendarPage(session, await loadWeek(db, links, session.clinicId, c.req.query('week'))));
  });
}
