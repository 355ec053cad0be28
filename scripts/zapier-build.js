#!/usr/bin/env node
/**
 * `npm run zapier:build`: an offline build/build.zip of the Zapier app.
 *
 * `zapier-platform build` on the project itself would copy the whole repository (server, tests,
 * hundreds of dev packages) to a temp dir and `npm install` there: slow, online, and prone to
 * EMFILE. Instead this script stages only what the app needs and lets the CLI zip that:
 *
 *   1. compiles the app alone (tsconfig.app.json) into a fresh temp dir, so the compiled
 *      index.js sits at the stage root, where Zapier's zapierwrapper.js requires it;
 *   2. writes a minimal package.json (name, version, "main": "index.js") whose dependencies are
 *      the bare modules the compiled code requires, pinned to the versions installed here;
 *   3. copies those packages and their production dependencies, transitively, from this
 *      project's node_modules into the stage's node_modules (same nesting, so Node resolves them
 *      the same way); nothing is downloaded;
 *   4. runs `zapier-platform validate --without-style` (offline schema validation) and
 *      `zapier-platform build --skip-dep-install --skip-validation` in the stage (the CLI's own
 *      validation step would call Zapier's servers; its build still tests the zip by loading
 *      zapierwrapper.js and index.js from an unzipped copy);
 *   5. copies the stage's build/build.zip to build/build.zip and removes the stage.
 *
 * Options: --keep (leave the stage dir and print its path), --stage-only <dir> (steps 1-3 into
 * <dir>, for tests).
 */
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { builtinModules } = require('node:module');

const ROOT = path.resolve(__dirname, '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Environment for the Zapier CLI: no analytics or update checks (both would go online). */
const CLI_ENV = { ...process.env, DISABLE_ZAPIER_ANALYTICS: '1', NO_UPDATE_NOTIFIER: '1', CI: process.env.CI || '1' };

function log(message) {
  process.stdout.write(`[zapier:build] ${message}\n`);
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function* jsFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* jsFiles(full);
    } else if (entry.name.endsWith('.js')) {
      yield full;
    }
  }
}

/** Bare package names the compiled app requires (`require("zod")`, `require("@scope/x/y")`). */
function requiredPackages(stage) {
  const names = new Set();
  for (const file of jsFiles(stage)) {
    const source = fs.readFileSync(file, 'utf8');
    for (const match of source.matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
      const spec = match[1];
      if (BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0])) continue;
      const parts = spec.split('/');
      names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
    }
  }
  return [...names].sort();
}

/** Node's lookup of package `name` from directory `fromDir`, bounded by the project root. */
function resolvePackageDir(name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || path.dirname(dir) === dir) return null;
    dir = path.dirname(dir);
  }
}

/** The packages `names` need at run time: themselves plus dependencies/optionalDependencies. */
function dependencyClosure(names) {
  const found = new Set();
  const queue = names.map((name) => ({ name, from: ROOT, optional: false }));
  while (queue.length) {
    const { name, from, optional } = queue.shift();
    const dir = resolvePackageDir(name, from);
    if (!dir) {
      if (optional) continue;
      throw new Error(`${name} (needed from ${path.relative(ROOT, from) || '.'}) is not installed; run npm install first.`);
    }
    if (found.has(dir)) continue;
    found.add(dir);
    const pkg = readJson(path.join(dir, 'package.json'));
    for (const dep of Object.keys(pkg.dependencies || {})) queue.push({ name: dep, from: dir, optional: false });
    for (const dep of Object.keys(pkg.optionalDependencies || {})) queue.push({ name: dep, from: dir, optional: true });
  }
  return [...found].sort();
}

function copyPackage(dir, stage) {
  const target = path.join(stage, path.relative(ROOT, dir));
  fs.cpSync(dir, target, {
    recursive: true,
    dereference: true,
    // Nested node_modules are copied as packages of their own, only when needed.
    filter: (src) => !path.relative(dir, src).split(path.sep).includes('node_modules'),
  });
}

function run(command, args, cwd, env = CLI_ENV) {
  execFileSync(command, args, { cwd, env, stdio: 'inherit' });
}

/** Steps 1-3: the compiled app with its runtime packages in `stage`. */
function stageApp(stage) {
  fs.mkdirSync(stage, { recursive: true });
  log(`compiling the app (tsconfig.app.json) into ${stage}`);
  run(process.execPath, [path.join(NODE_MODULES, 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.app.json'), '--outDir', stage], ROOT, process.env);

  const rootPkg = readJson(path.join(ROOT, 'package.json'));
  const packages = requiredPackages(stage);
  const dependencies = {};
  for (const name of packages) {
    const dir = resolvePackageDir(name, ROOT);
    if (!dir) throw new Error(`The app requires ${name}, which is not installed.`);
    if (!rootPkg.dependencies || !rootPkg.dependencies[name]) {
      throw new Error(`The app requires ${name} at run time, but package.json lists it only as a devDependency (or not at all).`);
    }
    dependencies[name] = readJson(path.join(dir, 'package.json')).version;
  }
  const appPkg = {
    name: rootPkg.name,
    version: rootPkg.version,
    description: 'QualifyBase native Zapier app (compiled build stage)',
    private: true,
    main: 'index.js',
    license: rootPkg.license,
    engines: rootPkg.engines,
    dependencies,
  };
  // Overwrites the copy of the full package.json that tsc emits for `import ... './package.json'`.
  fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(appPkg, null, 2)}\n`);
  log(`runtime dependencies: ${Object.entries(dependencies).map(([n, v]) => `${n}@${v}`).join(', ')}`);

  const closure = dependencyClosure(packages);
  for (const dir of closure) copyPackage(dir, stage);
  log(`copied ${closure.length} packages from node_modules (offline)`);

  // The CLI finds the files to zip with esbuild, which ignores the "module-sync" export
  // condition that Node 22's require() follows (e.g. async-function/require.mjs, reached from
  // form-data via get-intrinsic). Such targets are added to includeInBuild in the stage's copy of
  // .zapierapprc; the project's own includeInBuild entries are kept.
  const apprcPath = path.join(ROOT, '.zapierapprc');
  const apprc = fs.existsSync(apprcPath) ? readJson(apprcPath) : {};
  const extra = closure.flatMap((dir) => moduleSyncTargets(dir).map((file) => includePattern(path.relative(ROOT, file))));
  apprc.includeInBuild = [...new Set([...(apprc.includeInBuild || []), ...extra])];
  // Keeps node_modules and build output out of the CLI's source.zip (which is not used).
  fs.writeFileSync(path.join(stage, '.gitignore'), 'node_modules/\nbuild/\n');
  fs.writeFileSync(path.join(stage, '.zapierapprc'), `${JSON.stringify(apprc, null, 2)}\n`);
  if (extra.length) log(`includeInBuild += ${extra.length} "module-sync" export target(s)`);
  return stage;
}

/** Files a package exports under the "module-sync" condition. */
function moduleSyncTargets(dir) {
  const targets = [];
  const visit = (node, key) => {
    if (typeof node === 'string') {
      if (key === 'module-sync') targets.push(path.join(dir, node));
    } else if (Array.isArray(node)) {
      for (const item of node) visit(item, key);
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) visit(v, k);
    }
  };
  visit(readJson(path.join(dir, 'package.json')).exports, null);
  return targets;
}

/** An includeInBuild regex matching exactly one relative path (separators either way). */
function includePattern(relPath) {
  const escaped = relPath.split(path.sep).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return `${escaped.join('[\\\\/]')}$`;
}

function zapierCli() {
  return path.join(NODE_MODULES, 'zapier-platform-cli', 'src', 'bin', 'run');
}

function main(argv) {
  const stageOnly = argv.indexOf('--stage-only');
  if (stageOnly >= 0) {
    const dir = argv[stageOnly + 1];
    if (!dir) throw new Error('--stage-only needs a directory');
    stageApp(path.resolve(dir));
    return;
  }

  const stage = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'qualifybase-zapier-build-'));
  try {
    stageApp(stage);
    log('zapier-platform validate --without-style');
    run(process.execPath, [zapierCli(), 'validate', '--without-style'], stage);
    log('zapier-platform build --skip-dep-install --skip-validation');
    run(process.execPath, [zapierCli(), 'build', '--skip-dep-install', '--skip-validation'], stage);

    const zip = path.join(ROOT, 'build', 'build.zip');
    fs.mkdirSync(path.dirname(zip), { recursive: true });
    fs.copyFileSync(path.join(stage, 'build', 'build.zip'), zip);
    log(`wrote ${path.relative(ROOT, zip)} (${fs.statSync(zip).size} bytes)`);
  } finally {
    if (argv.includes('--keep')) log(`stage kept at ${stage}`);
    else fs.rmSync(stage, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`[zapier:build] failed: ${error && error.message ? error.message : error}\n`);
    process.exit(1);
  }
}

module.exports = { stageApp, requiredPackages, dependencyClosure };
