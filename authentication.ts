/** Custom (API key) authentication: the key goes only into `Authorization: Bearer` (lib/middleware.ts). */
import type { Authentication, Bundle, ZObject } from 'zapier-platform-core';

import type { Me } from './contract/resources';
import { apiRequest } from './lib/client';
import { API_KEYS_URL } from './lib/config';

/** GET /me: proves the key works and returns the clinic for the connection label. */
const test = async (z: ZObject, _bundle: Bundle): Promise<Me> => apiRequest<Me>(z, { path: '/me' });

/** The clinic name; `bundle.inputData` holds what `test` returned. */
const connectionLabel = async (_z: ZObject, bundle: Bundle): Promise<string> => {
  const me = bundle.inputData as Partial<Me>;
  return me.clinic?.name ?? '';
};

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
