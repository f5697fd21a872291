#!/usr/bin/env node
// Packs every published workspace package (every one not marked "private") the way `pnpm publish`
// would, and checks the tarballs users will install:
//   - package.json, README.md, LICENSE (the root's Apache-2.0 text) and CHANGELOG.md are inside;
//   - every file that main, types, exports and bin name is inside; a library (an exports "." entry)
//     has dist/index.js and dist/index.d.ts;
//   - no test files and no .tsbuildinfo are inside;
//   - the packed package.json has no workspace: or catalog: ranges left, and the npm fields a user
//     sees (license, keywords, homepage, bugs, repository.directory, files, publishConfig.access);
//   - publint finds no error or warning (its suggestions are printed);
//   - @arethetypeswrong/cli finds no problem (profile esm-only: the packages are ESM only, and
//     Node >= 20.19 can require() them).
// Offline: nothing is fetched (attw runs with --no-definitely-typed). Build first (setup.sh does).
//
// Usage: node tooling/scripts/check-packages.mjs [package-name-or-folder ...]
// Exit code 1 if anything is wrong; the last line is `check-packages: N packages, N problems`.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPO = 'https://github.com/resprune/resprune.js';
const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'];
const rootLicense = readFileSync(join(root, 'LICENSE'));

/** Workspace folders from pnpm-workspace.yaml (entries of the form `dir/*` or `dir`). */
function workspaceFolders() {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = yaml.split(/^packages:\s*$/m)[1]?.split(/^\S/m)[0] ?? '';
  const globs = [...block.matchAll(/^\s*-\s*['"]?([^'"\s#]+)['"]?/gm)].map((m) => m[1]);
  return globs.flatMap((g) => {
    if (!g.endsWith('/*')) return [g];
    const dir = g.slice(0, -2);
    if (!existsSync(join(root, dir))) return [];
    return readdirSync(join(root, dir), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${dir}/${e.name}`);
  });
}

/** The files of a .tgz as a map from path (without the leading `package/`) to bytes. */
function untar(tgz) {
  const tar = gunzipSync(readFileSync(tgz));
  const files = new Map();
  const text = (start, len) => tar.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
  for (let off = 0; off + 512 <= tar.length; ) {
    const name = text(off, 100);
    if (name === '') break;
    const size = parseInt(text(off + 124, 12).trim() || '0', 8);
    const type = text(off + 156, 1);
    const prefix = text(off + 345, 155);
    const path = (prefix ? `${prefix}/${name}` : name).replace(/^[^/]+\//, '');
    if (type === '0' || type === '') files.set(path, tar.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Every string target in an exports/bin value (conditions and subpaths flattened). */
function targets(value) {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(targets);
}

/** Runs attw on one tarball; resolves to its output and whether it passed. */
function attw(tgz) {
  const cliDir = join(root, 'node_modules', '@arethetypeswrong', 'cli');
  const bin = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')).bin.attw;
  const args = [join(cliDir, bin), tgz, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii', '--no-color', '--no-emoji'];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ ok: err === null, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Maps `fn` over `items`, at most `limit` at a time, keeping the order. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const wanted = process.argv.slice(2);
const packages = workspaceFolders()
  .filter((dir) => existsSync(join(root, dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => pkg.private !== true && typeof pkg.name === 'string')
  .filter(({ dir, pkg }) => wanted.length === 0 || wanted.some((w) => w === pkg.name || w === dir || w === basename(dir)));
if (packages.length === 0) {
  console.error(`check-packages: no published package matches ${wanted.join(' ') || '(any)'}`);
  process.exit(1);
}

const problems = [];
const problem = (name, what) => problems.push(`${name}: ${what}`);

// The npm fields a user sees, read from the sources (the packed copy is checked below too).
for (const { dir, pkg } of packages) {
  const n = pkg.name;
  if (pkg.license !== 'Apache-2.0') problem(n, `license is ${JSON.stringify(pkg.license)}, not "Apache-2.0"`);
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) problem(n, 'no keywords');
  if (pkg.homepage !== `${REPO}/tree/main/${dir}#readme`) problem(n, `homepage should be ${REPO}/tree/main/${dir}#readme`);
  if (pkg.bugs?.url !== `${REPO}/issues`) problem(n, `bugs.url should be ${REPO}/issues`);
  if (pkg.repository?.directory !== dir) problem(n, `repository.directory should be ${dir}`);
  for (const f of ['LICENSE', 'CHANGELOG.md']) if (!pkg.files?.includes(f)) problem(n, `"files" does not list ${f}`);
  if (pkg.publishConfig?.access !== 'public') problem(n, 'publishConfig.access is not "public"');
  const license = join(root, dir, 'LICENSE');
  if (!existsSync(license)) problem(n, `${dir}/LICENSE is missing (copy the root LICENSE)`);
  else if (!readFileSync(license).equals(rootLicense)) problem(n, `${dir}/LICENSE differs from the root LICENSE`);
}

// Pack them all in one pnpm call: workspace: and catalog: ranges become real versions, as on publish.
const dest = mkdtempSync(join(tmpdir(), 'resprune-pack-'));
try {
  const t0 = performance.now();
  const filters = packages.map(({ pkg }) => `--filter=${pkg.name}`);
  const json = execFileSync('pnpm', ['-r', ...filters, 'pack', '--pack-destination', dest, '--json'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  });
  const packed = [JSON.parse(json)].flat();
  const tarball = new Map(packed.map((p) => [p.name, p.filename]));
  console.log(`check-packages: packed ${packed.length} packages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const attwRuns = pool(packages, 2, ({ pkg }) => {
    const tgz = tarball.get(pkg.name);
    const entry = pkg.exports !== undefined || pkg.main !== undefined || pkg.types !== undefined;
    return tgz !== undefined && entry ? attw(tgz) : Promise.resolve(undefined);
  });

  const notes = [];
  for (const { dir, pkg } of packages) {
    const n = pkg.name;
    const tgz = tarball.get(n);
    if (tgz === undefined) {
      problem(n, 'pnpm pack made no tarball');
      continue;
    }
    const files = untar(tgz);
    for (const f of REQUIRED) {
      if (!files.has(f)) problem(n, `${f} is not in the tarball${f === 'CHANGELOG.md' ? ' (written by `pnpm version-packages`)' : ''}`);
    }
    if (files.has('LICENSE') && !files.get('LICENSE').equals(rootLicense)) problem(n, 'the packed LICENSE differs from the root LICENSE');
    const manifest = JSON.parse(files.get('package.json')?.toString('utf8') ?? '{}');
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (/^(workspace|catalog):/.test(range)) problem(n, `packed ${field}.${dep} is still ${range}`);
      }
    }
    const entries = [manifest.main, manifest.types, ...targets(manifest.exports), ...targets(manifest.bin)]
      .filter((t) => typeof t === 'string' && !t.includes('*'))
      .map((t) => t.replace(/^\.\//, ''));
    if (targets(manifest.exports?.['.']).length > 0) entries.push('dist/index.js', 'dist/index.d.ts');
    if (entries.length === 0) problem(n, 'no main, types, exports or bin: nothing to install');
    for (const e of new Set(entries)) if (!files.has(e)) problem(n, `${e} (named by package.json) is not in the tarball; build first`);
    for (const f of files.keys()) {
      if (/(^|\/)test\/|\.test\.[cm]?[jt]s$|\.tsbuildinfo$/.test(f)) problem(n, `${f} should not be published`);
    }

    const bytes = readFileSync(tgz);
    const lint = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
      level: 'suggestion',
    });
    for (const m of lint.messages) {
      const text = `publint ${m.type}: ${formatMessage(m, lint.pkg, { color: false }) ?? m.code}`;
      if (m.type === 'suggestion') notes.push(`${n}: ${text}`);
      else problem(n, text);
    }
    console.log(`  ${n}: ${files.size} files, ${(bytes.length / 1024).toFixed(0)} KiB packed (${dir})`);
  }

  const results = await attwRuns;
  packages.forEach(({ pkg }, i) => {
    const r = results[i];
    if (r === undefined) notes.push(`${pkg.name}: no import entry (bin only), attw skipped`);
    else if (!r.ok) problem(pkg.name, `attw found problems:\n${r.output.replace(/^/gm, '    ')}`);
  });
  for (const note of notes) console.log(`  note: ${note}`);
} finally {
  rmSync(dest, { recursive: true, force: true });
}

for (const p of problems) console.error(`  problem: ${p}`);
console.log(`check-packages: ${packages.length} packages, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
