/**
 * Zapier's integration checks (https://docs.zapier.com/platform/publish/integration-checks-reference,
 * 50 of them), as far as they can be decided without Zapier's servers:
 *
 * - DEFINITION_CHECKS: from the app definition and its samples alone (the D and C checks). They
 *   take the definition as the app exports it or as the CLI sends it to Zapier's /check (functions
 *   then appear as strings), so test/ship's platform stand-in answers `validate` and `push` with
 *   their real result.
 * - RUN_CHECKS: from a test run's live results (the T and Z checks Zapier decides from the Zap
 *   History of live Zaps; test/e2e/integration-checks.test.ts runs every operation against the
 *   reference server instead).
 * - SERVER_CHECKS: the rest, with why only Zapier can decide them. Never reported as passed.
 *
 * Each check returns one line per problem; none means it passes. test/e2e/integration-checks.test.ts
 * runs every decidable check on the app, shows each catching a broken definition, and keeps the
 * README's table of all 50 in step with these lists.
 */

type Field = Record<string, unknown> & { key?: string; label?: string; helpText?: string; type?: string };
type OutputField = { key: string; type?: string; list?: boolean; required?: boolean; primary?: boolean };
export type Operation = {
  key: string;
  noun?: string;
  display?: { label?: string; description?: string; hidden?: boolean };
  operation?: {
    type?: string;
    sample?: Record<string, unknown>;
    inputFields?: unknown[];
    outputFields?: unknown[];
    performList?: unknown;
    performSubscribe?: unknown;
    performUnsubscribe?: unknown;
  };
};
type SearchOrCreate = { key: string; display?: { label?: string; description?: string }; search: string; create: string; update?: string };
export type AppDefinition = {
  authentication?: { fields?: unknown[]; connectionLabel?: unknown };
  triggers?: Record<string, Operation>;
  creates?: Record<string, Operation>;
  searches?: Record<string, Operation>;
  searchOrCreates?: Record<string, SearchOrCreate>;
};

/** test/app/public-version.json: what the version now public has (scripts/record-public-version.ts). */
export type PublicVersion = {
  version: string;
} & Record<'triggers' | 'creates' | 'searches', Record<string, { hidden: boolean; inputFields: string[]; sampleKeys: string[] }>>;

export interface CheckContext {
  publicVersion: PublicVersion;
}

const GROUPS = ['triggers', 'creates', 'searches'] as const;
type Group = (typeof GROUPS)[number];

function operations(app: AppDefinition): Array<{ group: Group; key: string; where: string; op: Operation }> {
  return GROUPS.flatMap((group) => Object.entries(app[group] ?? {}).map(([key, op]) => ({ group, key, where: `${group}.${key}`, op })));
}

const isObject = (value: unknown): value is Record<string, unknown> => Boolean(value) && typeof value === 'object';
const fieldsOf = (list: unknown[] | undefined): Field[] => (list ?? []).filter(isObject) as Field[];
const outputFieldsOf = (op: Operation): OutputField[] => fieldsOf(op.operation?.outputFields) as unknown as OutputField[];
const isFunction = (value: unknown) => typeof value === 'function' || (typeof value === 'string' && value.length > 0);
const isHook = (op: Operation) => op.operation?.type === 'hook';
const isPolling = (group: Group, op: Operation) => group === 'triggers' && !isHook(op);

/** Every string in a value, recursively. */
function* strings(value: unknown, seen = new Set<unknown>()): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (isObject(value) && !seen.has(value)) {
    seen.add(value);
    for (const item of Object.values(value)) yield* strings(item, seen);
  }
}

/** The words a label is made of, lower case. */
const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/** User-facing texts that may hold markdown: descriptions and help texts, with where they are. */
function texts(app: AppDefinition): Array<{ where: string; text: string }> {
  const out: Array<{ where: string; text: string }> = [];
  for (const field of fieldsOf(app.authentication?.fields)) {
    if (field.helpText) out.push({ where: `authentication.${field.key}`, text: field.helpText });
  }
  for (const { where, op } of operations(app)) {
    if (op.display?.description) out.push({ where, text: op.display.description });
    for (const field of fieldsOf(op.operation?.inputFields)) {
      if (field.helpText) out.push({ where: `${where}.${field.key}`, text: field.helpText });
    }
  }
  for (const [key, soc] of Object.entries(app.searchOrCreates ?? {})) {
    if (soc.display?.description) out.push({ where: `searchOrCreates.${key}`, text: soc.display.description });
  }
  return out;
}

/** Words that stay lower case inside a Title Case label (unless first). */
const SMALL_WORDS = new Set(['a', 'an', 'and', 'as', 'at', 'by', 'for', 'from', 'in', 'into', 'of', 'on', 'or', 'the', 'to', 'with']);

export function isTitleCase(label: string): boolean {
  return label.split(/\s+/).every((word, i) => (i > 0 && SMALL_WORDS.has(word)) || /^[A-Z0-9(]/.test(word));
}

/** ISO 8601: a date, or a date and time with a time zone. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;
/** A string that looks like a date or time, in any format. */
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|^\d{1,2} [A-Z][a-z]{2} \d{4}|^[A-Z][a-z]{2},? \d{1,2} [A-Z][a-z]{2}/;

/** Date-like strings in a result that are not ISO 8601 with a time zone (D023, T003). */
export function nonIsoDates(result: unknown): string[] {
  return [...strings(result)].filter((s) => DATE_LIKE.test(s) && !ISO_8601.test(s));
}

/** Whether a value fits an output field's declared type (null fits any: the field is optional). */
function fits(field: OutputField, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (field.list) return Array.isArray(value) && value.every((item) => fits({ ...field, list: false }, item));
  switch (field.type) {
    case undefined:
    case 'string':
      return field.type === undefined || typeof value === 'string';
    case 'datetime':
      return typeof value === 'string' && ISO_8601.test(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return false;
  }
}

/** A result against output fields: required ones present, values of their type (D024, T005, Z001). */
export function outputFieldMisfits(outputFields: OutputField[], result: Record<string, unknown>): string[] {
  return outputFields.flatMap((field) => {
    if (field.required && !(field.key in result)) return [`required output field ${field.key} is missing`];
    if (!fits(field, result[field.key])) {
      return [`${field.key} is ${JSON.stringify(result[field.key])}, not a ${field.type}${field.list ? ' list' : ''}`];
    }
    return [];
  });
}

/** Keys of `subset` that `of` lacks (T004, T006, C003). */
export const missingKeys = (subset: object, of: object) => Object.keys(subset).filter((key) => !(key in of));

/** The primary key fields of an operation: its `primary` output fields, else `id` (D010, T002). */
export function primaryKeys(outputFields: OutputField[]): string[] {
  const primary = outputFields.filter((f) => f.primary).map((f) => f.key);
  return primary.length > 0 ? primary : ['id'];
}

const hasKey = (item: Record<string, unknown>, key: string) =>
  typeof item[key] === 'string' ? (item[key] as string) !== '' : typeof item[key] === 'number';

/** Help text that says nothing the label, the noun and filler words do not (D011). */
const FILLER = new Set(['the', 'a', 'an', 'of', 'for', 'to', 'in', 'this', 'that', 'its', 'their', 's', 'is', 'enter', 'your', 'here']);
const GENERIC = new Set(['address', 'name', 'number', 'value', 'field', 'text']);

export function isRedundantHelp(label: string, helpText: string, noun = ''): boolean {
  const known = new Set([...words(label), ...words(noun), ...FILLER, ...GENERIC]);
  return words(helpText).every((word) => known.has(word));
}

/** Markdown problems in one text: bare URLs, and links whose brackets do not pair (D008). */
export function markdownLinkProblems(text: string): string[] {
  const withoutCode = text.replace(/`[^`]*`/g, '');
  const withoutLinks = withoutCode.replace(/\[[^\]]*\]\(\s*[^)\s]+\s*\)/g, '');
  const problems: string[] = [];
  for (const bare of withoutLinks.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)]*/gi))
    problems.push(`bare URL ${bare[0]} (link it or put it in backticks)`);
  if (/\[[^\]]*$|\[[^\]]*\](?!\()|\]\([^)]*$/.test(withoutLinks)) problems.push('a markdown link whose brackets do not pair');
  return problems;
}

const perOperation = (app: AppDefinition, check: (o: ReturnType<typeof operations>[number]) => string[]) =>
  operations(app).flatMap((o) => check(o).map((problem) => `${o.where}: ${problem}`));

const perInputField = (app: AppDefinition, check: (field: Field, o: ReturnType<typeof operations>[number]) => string | undefined) =>
  perOperation(app, (o) => fieldsOf(o.op.operation?.inputFields).flatMap((field) => check(field, o) ?? []));

/** Another system's ID, mapped from that system's trigger: no dropdown of ours can list it (D004). */
const FOREIGN_ID_KEYS = new Set(['external_id']);

/** The dynamic dropdown `trigger.value.label`, split. */
const dynamicParts = (dynamic: string) => {
  const [trigger, value, label] = dynamic.split('.');
  return { trigger: trigger ?? '', value, label };
};

export type DefinitionCheckId =
  | 'C001'
  | 'C002'
  | 'C003'
  | `D00${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`
  | `D01${0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8}`
  | `D02${1 | 2 | 3 | 4 | 5 | 6}`;

export interface Check<$Args extends unknown[]> {
  title: string;
  run(...args: $Args): string[];
}

export const DEFINITION_CHECKS: Record<DefinitionCheckId, Check<[AppDefinition, CheckContext]>> = {
  C001: {
    title: 'Try to avoid hiding/removing public triggers/searches/creates',
    run: (app, { publicVersion }) =>
      GROUPS.flatMap((group) =>
        Object.entries(publicVersion[group]).flatMap(([key, was]) => {
          const now = app[group]?.[key];
          if (!now) return [`${group}.${key} (public in ${publicVersion.version}) was removed`];
          return now.display?.hidden && !was.hidden ? [`${group}.${key} (public in ${publicVersion.version}) is now hidden`] : [];
        }),
      ),
  },
  C002: {
    title: 'Try to avoid removing input fields',
    run: (app, { publicVersion }) =>
      GROUPS.flatMap((group) =>
        Object.entries(publicVersion[group]).flatMap(([key, was]) => {
          const keys = new Set(fieldsOf(app[group]?.[key]?.operation?.inputFields).map((f) => f.key));
          return was.inputFields.filter((field) => !keys.has(field)).map((field) => `${group}.${key}: input field ${field} was removed`);
        }),
      ),
  },
  C003: {
    title: 'Try to avoid removing sample data',
    run: (app, { publicVersion }) =>
      GROUPS.flatMap((group) =>
        Object.entries(publicVersion[group]).flatMap(([key, was]) => {
          const sample = app[group]?.[key]?.operation?.sample ?? {};
          return was.sampleKeys.filter((k) => !(k in sample)).map((k) => `${group}.${key}: sample key ${k} was removed`);
        }),
      ),
  },
  D001: {
    title: 'Asks for API key in action instead of in auth',
    run: (app) =>
      perInputField(app, (field) =>
        field.type === 'password' || /api[_ -]?key|token|secret|password/i.test(`${field.key} ${field.label ?? ''}`)
          ? `input field ${field.key} asks for a credential`
          : undefined,
      ),
  },
  D002: {
    title: 'Provide link in help text for auth fields',
    run: (app) =>
      fieldsOf(app.authentication?.fields)
        .filter((field) => !field.computed)
        .filter((field) => !/\[[^\]]+\]\(https:\/\/[^)\s]+\)/.test(field.helpText ?? ''))
        .map((field) => `authentication: field ${field.key} help text has no markdown link to where the value is found`),
  },
  D003: {
    title: 'Connection label should be set',
    run: (app) => (isFunction(app.authentication?.connectionLabel) ? [] : ['authentication: no connection label']),
  },
  D004: {
    title: 'ID fields should have dynamic dropdowns',
    run: (app) =>
      perInputField(app, (field) => {
        const looksLikeId = /(^|_)id$/i.test(field.key ?? '') || /\bID$/.test(field.label ?? '');
        if (!looksLikeId || field.dynamic || FOREIGN_ID_KEYS.has(field.key ?? '')) return undefined;
        return `input field ${field.key} ("${field.label ?? ''}") asks for an ID without a dynamic dropdown`;
      }),
  },
  D005: {
    title: 'Dynamic dropdown connects to a non-existing trigger',
    run: (app) =>
      perInputField(app, (field) => {
        if (typeof field.dynamic !== 'string') return undefined;
        const { trigger, value, label } = dynamicParts(field.dynamic);
        const source = app.triggers?.[trigger];
        if (!source) return `input field ${field.key}: dynamic "${field.dynamic}" names no trigger ${trigger}`;
        const sample = source.operation?.sample ?? {};
        const missing = [value, label].filter((k): k is string => typeof k === 'string' && k !== '' && !(k in sample));
        return missing.length ? `input field ${field.key}: trigger ${trigger}'s items have no ${missing.join(', ')}` : undefined;
      }),
  },
  D006: {
    title: 'REST hook trigger needs a polling URL',
    run: (app) =>
      perOperation(app, ({ op }) => (isHook(op) && !isFunction(op.operation?.performList) ? ['hook trigger without performList'] : [])),
  },
  D007: {
    title: 'All URLs should be HTTPS',
    run: (app) => [...strings(app)].flatMap((text) => [...text.matchAll(/\bhttp:\/\/[^\s)"'`]+/g)].map((m) => `non-https URL ${m[0]}`)),
  },
  D008: {
    title: 'Invalid markdown link',
    run: (app) => texts(app).flatMap(({ where, text }) => markdownLinkProblems(text).map((problem) => `${where}: ${problem}`)),
  },
  D009: {
    title: 'Requires at least one search field',
    run: (app) =>
      perOperation(app, ({ group, op }) =>
        group === 'searches' && fieldsOf(op.operation?.inputFields).length === 0 ? ['search without a search field'] : [],
      ),
  },
  D010: {
    title: 'Missing primary key fields in static sample data',
    run: (app) =>
      perOperation(app, ({ group, op }) => {
        if (!isPolling(group, op)) return [];
        const sample = op.operation?.sample ?? {};
        return primaryKeys(outputFieldsOf(op))
          .filter((key) => !hasKey(sample, key))
          .map((key) => `sample has no primary key ${key}`);
      }),
  },
  D011: {
    title: 'Redundant help text',
    run: (app) =>
      perInputField(app, (field, { op }) =>
        field.helpText && field.label && isRedundantHelp(field.label, field.helpText, op.noun)
          ? `input field ${field.key}: help text "${field.helpText}" only repeats its label "${field.label}"`
          : undefined,
      ),
  },
  D012: {
    title: 'Static sample is required',
    run: (app) => perOperation(app, ({ op }) => (isObject(op.operation?.sample) ? [] : ['no static sample'])),
  },
  D013: {
    title: 'Connects to a non-existing search',
    run: (app) =>
      perInputField(app, (field) => {
        if (typeof field.search !== 'string') return undefined;
        const search = field.search.split('.')[0] ?? '';
        return app.searches?.[search] ? undefined : `input field ${field.key}: search "${field.search}" names no search ${search}`;
      }),
  },
  D014: {
    title: 'Has a search connector, but no dynamic dropdown',
    run: (app) =>
      perInputField(app, (field) =>
        field.search && !field.dynamic ? `input field ${field.key} has a search connector but no dynamic dropdown` : undefined,
      ),
  },
  D015: {
    title: 'Search-or-create connects to a non-existing action/search',
    run: (app) =>
      Object.entries(app.searchOrCreates ?? {}).flatMap(([key, soc]) => [
        ...(app.searches?.[soc.key] ? [] : [`searchOrCreates.${key}: key ${soc.key} is not a search's key`]),
        ...(app.searches?.[soc.search] ? [] : [`searchOrCreates.${key}: search ${soc.search} does not exist`]),
        ...(app.creates?.[soc.create] ? [] : [`searchOrCreates.${key}: create ${soc.create} does not exist`]),
        ...(soc.update === undefined || app.creates?.[soc.update] ? [] : [`searchOrCreates.${key}: update ${soc.update} does not exist`]),
      ]),
  },
  D016: {
    title: 'Consists only of a static webhook',
    run: (app) => {
      const all = operations(app);
      const staticHooks = all.filter(({ op }) => isHook(op) && !isFunction(op.operation?.performSubscribe));
      return all.length > 0 && staticHooks.length === all.length ? ['the integration is only a static webhook'] : [];
    },
  },
  D017: {
    title: 'Static hook is discouraged',
    run: (app) =>
      perOperation(app, ({ op }) =>
        isHook(op) && !(isFunction(op.operation?.performSubscribe) && isFunction(op.operation?.performUnsubscribe))
          ? ['hook trigger without performSubscribe and performUnsubscribe (a static webhook)']
          : [],
      ),
  },
  D018: {
    title: 'Titlecased label',
    run: (app) => [
      ...perOperation(app, ({ op }) =>
        op.display?.label && !isTitleCase(op.display.label) ? [`label "${op.display.label}" is not Title Case`] : [],
      ),
      ...Object.entries(app.searchOrCreates ?? {}).flatMap(([key, soc]) =>
        soc.display?.label && !isTitleCase(soc.display.label)
          ? [`searchOrCreates.${key}: label "${soc.display.label}" is not Title Case`]
          : [],
      ),
    ],
  },
  D021: {
    title: 'Trigger description requirements',
    run: (app) =>
      perOperation(app, ({ group, op }) => {
        const description = op.display?.description ?? '';
        if (group !== 'triggers') return [];
        return [
          ...(description.startsWith('Triggers when ') ? [] : ['description does not start with "Triggers when "']),
          ...(description.endsWith('.') ? [] : ['description does not end with "."']),
        ];
      }),
  },
  D022: {
    title: 'Creates should try to have static input fields',
    run: (app) =>
      perOperation(app, ({ group, op }) =>
        group === 'creates' && fieldsOf(op.operation?.inputFields).length === 0 ? ['no static input field'] : [],
      ),
  },
  D023: {
    title: 'ISO-8601 date/time format in static sample',
    run: (app) =>
      perOperation(app, ({ op }) =>
        nonIsoDates(op.operation?.sample ?? {}).map((value) => `sample date "${value}" is not ISO 8601 with a time zone`),
      ),
  },
  D024: {
    title: 'Static sample respects output field definition',
    run: (app) =>
      perOperation(app, ({ op }) => outputFieldMisfits(outputFieldsOf(op), op.operation?.sample ?? {}).map((p) => `sample: ${p}`)),
  },
  D025: {
    title: 'URLs should not be dangerous URIs',
    run: (app) =>
      [...strings(app)].flatMap((text) =>
        [...text.matchAll(/(?:^|\]\(\s*|\bhref=["']?)\s*((?:javascript|vbscript|data):[^\s)"']*)/gi)].map((m) => `dangerous URI ${m[1]}`),
      ),
  },
  D026: {
    title: 'Manual domain validation recommended if using inputFormat or domain-related authentication fields',
    run: (app) =>
      fieldsOf(app.authentication?.fields)
        .filter((field) => field.inputFormat || /domain|subdomain|url|host/i.test(`${field.key} ${field.label ?? ''}`))
        .map((field) => `authentication: field ${field.key} takes a domain or URL; validate it by hand before using it`),
  },
};

export type RunCheckId = 'T002' | 'T003' | 'T004' | 'T005' | 'T006' | 'Z001';

/** What a test run produced for one operation. */
export interface LiveRun {
  where: string;
  op: Operation;
  /** Trigger items (a hook's from real deliveries through perform), a search's matches, or a create's one result. */
  results: Array<Record<string, unknown>>;
  /** A hook trigger's performList items: the "polling sample" the Zap editor pulls. */
  pollingSample?: Array<Record<string, unknown>>;
}

const perResult = (run: LiveRun, check: (result: Record<string, unknown>) => string[]) =>
  run.results.flatMap((result) => check(result).map((problem) => `${run.where}: ${problem}`));

export const RUN_CHECKS: Record<RunCheckId, Check<[LiveRun]>> = {
  T002: {
    title: 'Missing primary key fields in live polling results',
    run: (run) =>
      run.op.operation?.type === 'hook'
        ? []
        : perResult(run, (r) =>
            primaryKeys(outputFieldsOf(run.op))
              .filter((k) => !hasKey(r, k))
              .map((k) => `result has no ${k}`),
          ),
  },
  T003: {
    title: 'ISO-8601 date/time format in Zap History',
    run: (run) => perResult(run, (r) => nonIsoDates(r).map((value) => `date "${value}" is not ISO 8601 with a time zone`)),
  },
  T004: {
    title: 'Static sample contains a subset of keys from live result',
    run: (run) =>
      perResult(run, (r) => missingKeys(run.op.operation?.sample ?? {}, r).map((k) => `static sample key ${k} is not in the live result`)),
  },
  T005: {
    title: 'Live trigger result respects output field definition',
    run: (run) => perResult(run, (r) => outputFieldMisfits(outputFieldsOf(run.op), r)),
  },
  T006: {
    title: 'Polling sample contains a subset of keys from live result',
    run: (run) =>
      (run.pollingSample ?? []).flatMap((polled) =>
        perResult(run, (r) => missingKeys(polled, r).map((k) => `polling sample key ${k} is not in the hook's live result`)),
      ),
  },
  Z001: {
    title: 'Polling sample respects output field definition',
    run: (run) =>
      (run.pollingSample ?? []).flatMap((polled) =>
        outputFieldMisfits(outputFieldsOf(run.op), polled).map((p) => `${run.where}: polling sample: ${p}`),
      ),
  },
};

/** The checks only Zapier can decide, and why. */
export const SERVER_CHECKS = {
  A001: 'needs a connected account on Zapier',
  L001: "the version's lifecycle state on Zapier (deprecated)",
  L002: 'whether this version was already submitted for review',
  L003: 'whether this version is already the production one',
  L004: "a block Zapier's team puts on partner changes",
  M001: "the integration's category, set on Zapier",
  M002: "the integration's description, set on Zapier",
  M003: "the developer's role, set on Zapier",
  M004: "the integration's logo, uploaded to Zapier",
  M005: "the admin team members' email domains on Zapier",
  M006: "the integration's homepage URL, set on Zapier",
  M007: "Zapier's app directory (another public integration of the same app)",
  S001: 'live Zaps of 3 users on Zapier',
  S002: 'a live Zap on Zapier for each visible trigger, search and action',
  S003: 'how many production versions have live Zaps on Zapier',
  T001: 'successful runs in the Zap History on Zapier',
  U001: "the developer's acceptance of Zapier's terms",
} as const;

export type ServerCheckId = keyof typeof SERVER_CHECKS;
export type CheckId = DefinitionCheckId | RunCheckId | ServerCheckId;

/** Every check of the reference, by ID. */
export const ALL_CHECK_IDS = [
  ...Object.keys(DEFINITION_CHECKS),
  ...Object.keys(RUN_CHECKS),
  ...Object.keys(SERVER_CHECKS),
].sort() as CheckId[];

/** Every definition check's problems, by ID (none: all pass). */
export function definitionProblems(app: AppDefinition, context: CheckContext): Partial<Record<DefinitionCheckId, string[]>> {
  const out: Partial<Record<DefinitionCheckId, string[]>> = {};
  for (const [id, check] of Object.entries(DEFINITION_CHECKS) as Array<[DefinitionCheckId, Check<[AppDefinition, CheckContext]>]>) {
    const problems = check.run(app, context);
    if (problems.length > 0) out[id] = problems;
  }
  return out;
}
