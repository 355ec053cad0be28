/**
 * The QualifyBase Zapier app definition. Compiled to dist/index.js by `npm run build` (the CLI's
 * `_zapier-build`); the root index.js (package.json "main") loads it, and that is the file
 * Zapier's zapierwrapper.js requires at the root of the zip. Tests load this file directly.
 */
import { defineApp, version as platformVersion } from 'zapier-platform-core';

import packageJson = require('./package.json');
import authentication from './authentication';
import appointment from './creates/appointment';
import appointmentCancel from './creates/appointment_cancel';
import appointmentUpdate from './creates/appointment_update';
import calendarBlock from './creates/calendar_block';
import calendarUnblock from './creates/calendar_unblock';
import campaignContact from './creates/campaign_contact';
import lead from './creates/lead';
import leadUpdate from './creates/lead_update';
import { handleApiErrors } from './lib/errors';
import { addBearerToken } from './lib/middleware';
import findAppointment from './searches/find_appointment';
import findAvailableSlot from './searches/find_available_slot';
import findLead from './searches/find_lead';
import agentList from './triggers/agent_list';
import appointmentCancelled from './triggers/appointment_cancelled';
import appointmentCreated from './triggers/appointment_created';
import appointmentList from './triggers/appointment_list';
import appointmentUpdated from './triggers/appointment_updated';
import campaignContactCallbackRequested from './triggers/campaign_contact_callback_requested';
import campaignContactExhausted from './triggers/campaign_contact_exhausted';
import campaignContactNotInterested from './triggers/campaign_contact_not_interested';
import campaignContactQualified from './triggers/campaign_contact_qualified';
import campaignList from './triggers/campaign_list';
import leadCreated from './triggers/lead_created';
import leadList from './triggers/lead_list';
import leadUpdated from './triggers/lead_updated';

const app = defineApp({
  version: packageJson.version,
  platformVersion,

  authentication,
  beforeRequest: [addBearerToken],
  afterResponse: [handleApiErrors],

  triggers: {
    [appointmentCreated.key]: appointmentCreated,
    [appointmentUpdated.key]: appointmentUpdated,
    [appointmentCancelled.key]: appointmentCancelled,
    [campaignContactQualified.key]: campaignContactQualified,
    [campaignContactNotInterested.key]: campaignContactNotInterested,
    [campaignContactExhausted.key]: campaignContactExhausted,
    [campaignContactCallbackRequested.key]: campaignContactCallbackRequested,
    [campaignList.key]: campaignList,
    [leadCreated.key]: leadCreated,
    [leadUpdated.key]: leadUpdated,
    [agentList.key]: agentList,
    [leadList.key]: leadList,
    [appointmentList.key]: appointmentList,
  },
  creates: {
    [campaignContact.key]: campaignContact,
    [calendarBlock.key]: calendarBlock,
    [calendarUnblock.key]: calendarUnblock,
    [lead.key]: lead,
    [leadUpdate.key]: leadUpdate,
    [appointment.key]: appointment,
    [appointmentUpdate.key]: appointmentUpdate,
    [appointmentCancel.key]: appointmentCancel,
  },
  searches: {
    [findLead.key]: findLead,
    [findAppointment.key]: findAppointment,
    [findAvailableSlot.key]: findAvailableSlot,
  },
  searchOrCreates: {
    // One step for "find by email (or phone, or external ID), update if found, create if not":
    // Zapier runs Find Lead; with a match, Update Lead on the match's id (it writes only the fields
    // that differ from the match, so a match with nothing new is returned as found, with no write),
    // else Create Lead. No searchUniqueInputToOutputConstraint: Find Lead already matches exactly
    // (the API compares emails case-insensitively, which a case-sensitive output filter would
    // undo), and by whichever of its fields is filled. Since 1.1.0 (CHANGELOG: a change for
    // existing Zaps): 1.0.0 returned a match unchanged.
    [findLead.key]: {
      key: findLead.key,
      display: {
        label: 'Find or Create Lead',
        description: 'Finds a lead by email, phone or external ID and updates it, or creates one.',
      },
      search: findLead.key,
      create: lead.key,
      update: leadUpdate.key,
      updateInputFromSearchOutput: { lead_id: 'id' },
    },
  },
});

// CommonJS `module.exports = app`: Zapier's zapierwrapper.js does `require('./index.js')` and uses
// the result as the app definition (no `.default` unwrapping).
export = app;
