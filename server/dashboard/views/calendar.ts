/** Calendar: a week in clinic time, one column per day. */
import { html } from 'hono/html';
import type { CalendarItem, CalendarWeek } from '../loaders/calendar';
import type { DashboardSession } from '../session';
import { formatDay, formatTime, page, type Html } from './layout';

function item(i: CalendarItem, tz: string): Html {
  const time = `${formatTime(i.start, tz)}–${formatTime(i.end, tz)}`;
  if (i.kind === 'appointment') {
    const a = i.appointment;
    return html`<li class="item appt ${a.status}" data-appointment-id="${a.id}"><div class="t">${time}</div>
<div>${a.title ?? 'Appointment'}${i.leadName ? html` · ${i.leadName}` : ''}</div>${a.status !== 'confirmed' ? html`<div class="muted">${a.status.replace('_', ' ')}</div>` : ''}</li>`;
  }
  if (i.kind === 'block') {
    return html`<li class="item block" data-block-id="${i.block.id}"><div class="t">${time}</div>
<div>Busy${i.block.title ? html`: ${i.block.title}` : ''}</div><div class="muted">${i.block.external_source}</div></li>`;
  }
  return html`<li class="item open"><div class="t">${time}</div><div>Open · ${i.slots} slot${i.slots === 1 ? '' : 's'}</div></li>`;
}

export function calendarPage(session: DashboardSession, week: CalendarWeek): Html {
  const tz = week.timeZone;
  const first = week.days[0];
  const last = week.days.at(-1);
  if (!first || !last) throw new Error('a calendar week has seven days');
  return page({
    title: 'Calendar',
    section: 'calendar',
    session,
    body: html`<h1>Calendar</h1>
<p class="sub">Week of ${formatDay(first.start, tz)} – ${formatDay(last.start, tz)}, in clinic time (${tz}). Open slots are what
<code>GET /api/v1/availability</code> offers right now.</p>
<div class="toolbar">
<a class="button" href="/dashboard/calendar?week=${week.previous}">← Previous week</a>
<a class="button" href="/dashboard/calendar?week=${week.thisWeek}">This week</a>
<a class="button" href="/dashboard/calendar?week=${week.next}">Next week →</a>
<span class="spacer"></span>
<div class="legend"><span class="l-appt">Appointment</span><span class="l-block">Busy block</span><span class="l-open">Open slots</span></div>
</div>
<div class="week">
${week.days.map(
  (d) => html`<section class="day${d.isToday ? ' today' : ''}" data-date="${d.date}">
<h3>${formatDay(d.start, tz)}</h3>
<div class="hours">${d.hours.length ? d.hours.map((h, n) => `${n ? ', ' : ''}${h.opens}–${h.closes}`).join('') : 'Closed'}</div>
${d.items.length ? html`<ol>${d.items.map((i) => item(i, tz))}</ol>` : html`<div class="empty">${d.hours.length ? 'Nothing open (past or fully booked).' : 'No appointments.'}</div>`}
</section>`,
)}
</div>`,
  });
}
