/**
 * Every migration, in order. Listed by hand (not read from disk) so they run the same from
 * sources, compiled output or a bundle. Add new ones at the end; never edit an applied one.
 */
import type { Migration } from 'kysely';
import * as m001 from './001_initial';
import * as m002 from './002_webhook_deliveries';
import * as m003 from './003_dashboard';
import * as m004 from './004_webhook_delivery_jobs';
import * as m005 from './005_hot_paths';
import * as m006 from './006_data_version';
import * as m007 from './007_book_appointment';
import * as m008 from './008_names_and_idempotency';
import * as m009 from './009_webhook_limits_retention';
import * as m010 from './010_abuse_bounds';
import * as m011 from './011_list_counts';
import * as m012 from './012_booking_write_path';
import * as m014 from './014_block_spans';
import * as m015 from './015_outbox_plan';
import * as m017 from './017_busy_covering_index';
import * as m018 from './018_booking_groups';
import * as m019 from './019_booking_lookups';
import * as m021 from './021_booking_group_inline';
import * as m022 from './022_delivery_writes';
import * as m023 from './023_stored_json';
import * as m024 from './024_booking_group_set';

export const migrations: Record<string, Migration> = {
  '001_initial': m001,
  '002_webhook_deliveries': m002,
  '003_dashboard': m003,
  '004_webhook_delivery_jobs': m004,
  '005_hot_paths': m005,
  '006_data_version': m006,
  '007_book_appointment': m007,
  '008_names_and_idempotency': m008,
  '009_webhook_limits_retention': m009,
  '010_abuse_bounds': m010,
  '011_list_counts': m011,
  '012_booking_write_path': m012,
  '014_block_spans': m014,
  '015_outbox_plan': m015,
  '017_busy_covering_index': m017,
  '018_booking_groups': m018,
  '019_booking_lookups': m019,
  '021_booking_group_inline': m021,
  '022_delivery_writes': m022,
  '023_stored_json': m023,
  '024_booking_group_set': m024,
};
