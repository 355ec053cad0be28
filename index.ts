/**
 * The QualifyBase Zapier app definition. Compiled to dist/index.js (package.json "main"), which
 * `zapier-platform validate` and createAppTester load; scripts/zapier-build.js stages it as the
 * zip's root index.js, the file Zapier's zapierwrapper.js requires.
 */
import { defineApp, version as platformVersion } from 'zapier-platform-core';

import packageJson = require('./package.json');
import authentication from './authentication';
import calendarBlock from './creates/calendar_block';
import calendarUnblock from './creates/calendar_unblock';
import campaignContact from './creates/campaign_contact';
import { handleApiErrors } from './lib/errors';
import { addBearerToken } from './lib/middleware';
import appointmentCancelled from './triggers/appointment_cancelled';
import appointmentCreated from './triggers/appointment_created';
import appointmentUpdated from './triggers/appointment_updated';
import campaignContactCallbackRequested from './triggers/campaign_contact_callback_requested';
import campaignContactExhausted from './triggers/campaign_contact_exhausted';
import campaignContactNotInterested from './triggers/campaign_contact_not_interested';
import campaignContactQualified from './triggers/campaign_contact_qualified';
import campaignList from './triggers/campaign_list';

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
  },
  creates: {
    [campaignContact.key]: campaignContact,
    [calendarBlock.key]: calendarBlock,
    [calendarUnblock.key]: calendarUnblock,
  },
  searches: {},
});

// CommonJS `module.exports = app`: Zapier's zapierwrapper.js does `require('./index.js')` and uses
// the result as the app definition (no `.default` unwrapping).
export = app;
