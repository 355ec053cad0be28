// Summarises a V8 .cpuprofile (from `node --cpu-prof` or QB_PROFILE_CPU of `npm run
// bench:profile`): self time by where the code lives (a package of node_modules, the server's own
// folders, Node internals, WebAssembly modules: on PGlite the large one is PostgreSQL itself, GC),
// busy time only. With a category (as printed), the functions inside it instead.
// Usage: node server/bench/profile-summary.mjs <file.cpuprofile> [top] [category]
import fs from 'node:fs';

const file = process.argv[2];
const top = Number(process.argv[3] ?? 14);
const only = process.argv[4];
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

function category(frame) {
  const { url, functionName } = frame;
  if (!url) return `(${functionName || 'native'})`.replace('((', '(').replace('))', ')');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(server|bench|contract|lib)\/([^/]+)/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  return url;
}

const totals = new Map();
let busy = 0;
for (const [id, us] of selfUs) {
  const frame = byId.get(id).callFrame;
  const cat = category(frame);
  if (cat === '(idle)' || cat === '(program)') continue;
  busy += us;
  const key =
    only === undefined
      ? cat
      : cat === only
        ? `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`
        : undefined;
  if (key !== undefined) totals.set(key, (totals.get(key) ?? 0) + us);
}
const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
process.stdout.write(`busy ${(busy / 1e6).toFixed(2)} s of CPU in the server process\n`);
for (const [cat, us] of rows) process.stdout.write(`  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${cat}\n`);
