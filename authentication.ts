/** Custom (API key) authentication: the key goes only into `Authorization: Bearer` (lib/middleware.ts). */
import type { Authentication, Bundle, ZObject } from 'zapier-platform-core';

import type { Me } from './contract/resources';
import { apiRequest } from './lib/client';
import { API_KEYS_URL } from './lib/config';

/** GET /me: proves the key works and returns the clinic for the connection label. */
const test = async (z: ZObject, _bundle: Bundle): Promise<Me> => apiRequest<Me>(z, { path: '/me' });

/**
 * "Demo Dental Clinic (Zapier)": the clinic and the key's name, so two keys of one clinic are told
 * apart in the user's connections; `bundle.inputData` holds what `test` returned.
 */
export function labelOf(me: Partial<Me>): string {
  const clinic = me.clinic?.name?.trim() ?? '';
  const key = me.api_key?.name?.trim() ?? '';
  return clinic && key ? `${clinic} (${key})` : clinic || key;
}

const connectionLabel = async (_z: ZObject, bundle: Bundle): Promise<string> => labelOf(bundle.inputData as Partial<Me>);

const authentication: Authentication = {
  type: 'custom',
  fields: [
    {
      key: 'api_key',
      label: 'API Key',
      type: 'password',
      required: true,
      helpText:
        `Your QualifyBase API key (it starts with \`qbk_live_\`). Create one in the [QualifyBase dashboard under Setup → API keys](${API_KEYS_URL}); ` +
        'the full key is shown only once, so copy it right away.',
    },
  ],
  test,
  connectionLabel,
};

export default authentication;
