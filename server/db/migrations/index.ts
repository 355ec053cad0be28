/**
 * Every migration, in order. Listed by hand (not read from disk) so they run the same from
 * sources, compiled output or a bundle. Add new ones at the end; never edit an applied one.
 */
import type { Migration } from 'kysely';
import * as m001 from './001_initial';

export const migrations: Record<string, Migration> = {
  '001_initial': m001,
};
