/**
 * Imports flow one way in server/: no module imports itself back through others, and no folder
 * does either (services -> http -> services would be a cycle even when no single file loops).
 * Type-only imports count: a type cycle is still a design loop a maintainer must untangle.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SERVER = path.join(__dirname, '..');
/** The server's own code: not its tests, benchmarks, scripts or installed packages. */
const NOT_SERVER_CODE = new Set(['test', 'bench', 'scripts', 'node_modules'].map((d) => path.join(SERVER, d)));

function serverFiles(dir = SERVER): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return NOT_SERVER_CODE.has(full) ? [] : serverFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Every module specifier of a file: import/export declarations (type-only too), import() and import types. */
function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) found.push(expr.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg)) found.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The server file a relative specifier names, or undefined for packages and files outside server/. */
function resolveInServer(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier).replace(/\.js$/, '');
  const candidate = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
  return candidate?.startsWith(SERVER + path.sep) && ![...NOT_SERVER_CODE].some((d) => candidate.startsWith(d + path.sep))
    ? candidate
    : undefined;
}

type Graph = Map<string, Set<string>>;

function fileGraph(): Graph {
  const graph: Graph = new Map();
  for (const file of serverFiles()) {
    const targets = specifiersOf(file)
      .map((s) => resolveInServer(file, s))
      .filter((t): t is string => t !== undefined);
    graph.set(rel(file), new Set(targets.map(rel)));
  }
  return graph;
}

const rel = (file: string) => path.relative(SERVER, file).split(path.sep).join('/');

/** A folder directly under server/ (db/migrations counts as db/), or a top-level file on its own. */
const unitOf = (relFile: string) => (relFile.includes('/') ? `${relFile.split('/')[0]}/` : relFile);

function folderGraph(files: Graph): Graph {
  const graph: Graph = new Map();
  for (const [from, targets] of files) {
    const edges = graph.get(unitOf(from)) ?? new Set<string>();
    for (const to of targets) if (unitOf(to) !== unitOf(from)) edges.add(unitOf(to));
    graph.set(unitOf(from), edges);
  }
  return graph;
}

/** One example cycle per strongly connected component with more than one node (Tarjan). */
function cycles(graph: Graph): string[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = graph.get(node)?.has(node) ?? false;
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node);
  return components.map((component) => describeCycle(graph, new Set(component)));
}

/** A readable loop inside one component: a -> b -> ... -> a (shortest back to the start, by BFS). */
function describeCycle(graph: Graph, members: Set<string>): string {
  const start = [...members].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [...(graph.get(start) ?? [])].filter((n) => members.has(n));
  for (const n of queue) previous.set(n, start);
  while (queue.length > 0) {
    const node = queue.shift()!;
    if (node === start) break;
    for (const next of graph.get(node) ?? []) {
      if (members.has(next) && !previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  const path: string[] = [start];
  for (let node = previous.get(start)!; node !== start; node = previous.get(node)!) path.unshift(node);
  path.unshift(start);
  return path.join(' -> ');
}

/**
 * The layers of server/, top first: a module may import only from a lower layer (or its own
 * folder). The README's map of server/ lists the same order.
 */
const LAYERS: string[][] = [
  ['main.ts', 'worker.ts'],
  ['server.ts'],
  ['app.ts'],
  ['routes/', 'dashboard/'],
  ['http/'],
  ['services/'],
  ['webhooks/', 'booking/'],
  ['errors.ts', 'context.ts'],
  ['db/', 'config.ts', 'metrics.ts', 'shutdown.ts'],
];

function layerViolations(folders: Graph): string[] {
  const rank = new Map(LAYERS.flatMap((units, i) => units.map((u) => [u, i] as const)));
  const problems: string[] = [];
  for (const [from, targets] of folders) {
    if (!rank.has(from)) problems.push(`${from} is in no layer: add it to LAYERS`);
    for (const to of targets) {
      if (rank.has(from) && rank.has(to) && rank.get(to)! <= rank.get(from)!) problems.push(`${from} imports ${to}`);
    }
  }
  return problems.sort();
}

describe('imports in server/', () => {
  const files = fileGraph();

  it('reads the whole server, type imports included', () => {
    expect(files.size).toBeGreaterThan(40);
    // A type-only import must count as an edge (routes import `type ServerDeps` from context.ts).
    expect(files.get('routes/me.ts')).toContain('context.ts');
    expect(files.get('routes/index.ts')).toContain('routes/me.ts');
  });

  it('finds a cycle when there is one (the checker itself can fail)', () => {
    const loop: Graph = new Map([
      ['a.ts', new Set(['b.ts'])],
      ['b.ts', new Set(['c.ts'])],
      ['c.ts', new Set(['a.ts'])],
      ['d.ts', new Set(['a.ts'])],
    ]);
    expect(cycles(loop)).toEqual(['a.ts -> b.ts -> c.ts -> a.ts']);
  });

  it('has no import cycle between files', () => {
    expect(cycles(files)).toEqual([]);
  });

  it('has no import cycle between folders (routes, http, services, webhooks, db, ...)', () => {
    expect(cycles(folderGraph(files))).toEqual([]);
  });

  it('flows down the layers: main -> server -> app -> routes/dashboard -> http -> services -> webhooks/booking -> errors/context -> db/config/metrics', () => {
    expect(layerViolations(folderGraph(files))).toEqual([]);
  });
});
