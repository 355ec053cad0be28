import { z } from 'zod';
import { AvailabilityQuery, BlockDeleteQuery, BlockUpsert, CalendarBlock, ErrorBody, Slot } from '../../contract';
import { DEFAULT_BLOCK_LIMIT } from '../config';
import type { ApiApp } from '../http/api-app';
import type { ServerDeps } from '../context';
import { apiRoute, json, jsonBody } from '../http/route';
import { answerAvailability, MAX_RANGE_DAYS } from '../services/booking';
import { deleteBlock, upsertBlock } from '../services/blocks';
import { availabilityBusyReads } from '../services/busy-reads';

const tags = ['Availability'];
const SlotList = z.object({ data: z.array(Slot) }).meta({ id: 'SlotList' });

const availability = apiRoute({
  method: 'get',
  path: '/api/v1/availability',
  tags,
  operationId: 'getAvailability',
  summary: 'Find open appointment slots',
  description: `Open slots from the clinic's opening hours in its time zone (DST-aware), each the clinic's slot length, minus booked (not cancelled) appointments and calendar blocks, earliest first, never starting in the past. \`from\`/\`to\` take a day (midnight clinic time) or an instant; \`from\` defaults to now (a past \`from\` searches from now), \`to\` is exclusive and defaults to 14 days after \`from\`, and the range is at most ${MAX_RANGE_DAYS} days (400 otherwise). \`preference\` keeps slots starting in the clinic's morning (06-12), afternoon (12-17) or evening (17-22). Each slot can be posted as-is to POST /api/v1/appointments.`,
  scope: 'availability:read',
  cached: true,
  request: { query: AvailabilityQuery },
  responses: { 200: json(SlotList, 'Open slots') },
});

const upsert = apiRoute({
  method: 'post',
  path: '/api/v1/availability/blocks',
  tags,
  operationId: 'upsertCalendarBlock',
  summary: 'Upsert a busy block from an external calendar event',
  description: `Idempotent on external_source + external_id: the same pair updates the block (200, same id) instead of creating another (201). The booking engine treats the time as busy for availability and new bookings. A block may overlap existing appointments (the external calendar is the truth); they are kept. A clinic holds at most ${DEFAULT_BLOCK_LIMIT} blocks that have not ended (the server's QB_CLINIC_BLOCK_LIMIT); one more is 409 \`limit_reached\`.`,
  scope: 'availability:write',
  request: { body: jsonBody(BlockUpsert) },
  responses: {
    200: json(CalendarBlock, 'The existing block, updated'),
    201: json(CalendarBlock, 'The new block'),
    409: json(ErrorBody, 'limit_reached: the clinic has as many calendar blocks that have not ended as it may have; delete some first'),
  },
  errors: [413],
});

const remove = apiRoute({
  method: 'delete',
  path: '/api/v1/availability/blocks',
  tags,
  operationId: 'deleteCalendarBlock',
  summary: 'Delete a busy block by external source and id',
  description: 'Idempotent: answers 204 even when the block was already gone.',
  scope: 'availability:write',
  request: { query: BlockDeleteQuery },
  responses: { 204: { description: 'Deleted, or already gone' } },
});

export function registerAvailabilityRoutes(app: ApiApp, { database, config }: ServerDeps): void {
  const { db } = database;
  const readBusy = availabilityBusyReads(database);
  app.openapi(availability, async (c) => {
    const answer = await answerAvailability(db, c.var.auth.clinicId, c.req.valid('query'), Date.now(), readBusy);
    c.set('cacheUntil', answer.sameUntil ?? 0);
    return c.json({ data: answer.slots }, 200);
  });
  app.openapi(upsert, async (c) => {
    const { block, created } = await upsertBlock(db, c.var.auth.clinicId, c.req.valid('json'), config.clinicBlockLimit);
    return created ? c.json(block, 201) : c.json(block, 200);
  });
  app.openapi(remove, async (c) => {
    const q = c.req.valid('query');
    await deleteBlock(db, c.var.auth.clinicId, q.external_source, q.external_id);
    return c.body(null, 204);
  });
}
