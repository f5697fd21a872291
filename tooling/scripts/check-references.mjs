// Fails when a workspace package with a tsconfig.json is missing from the root solution
// tsconfig.json, or when a reference points at a folder without a tsconfig.json (Vite fails then).
// Packages whose tsconfig.json sets "composite": false (the Vite web demo, type-checked by its
// own build) cannot be project references and are exempt.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = JSON.parse(readFileSync('tsconfig.json', 'utf8'));
const refs = new Set(root.references.map((r) => r.path.replace(/\/$/, '')));
const problems = [];
for (const group of ['packages', 'apps', 'tooling']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    if (!existsSync(join(dir, 'tsconfig.json')) || !existsSync(join(dir, 'package.json'))) continue;
    const config = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    if (config.compilerOptions?.composite === false) continue;
    if (!refs.has(dir)) {
      problems.push(`${dir} has a tsconfig.json but is not in tsconfig.json references`);
    }
  }
}
for (const ref of refs) {
  const target = ref.endsWith('.json') ? ref : join(ref, 'tsconfig.json');
  if (!existsSync(target)) problems.push(`reference ${ref} has no tsconfig.json`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(`check-references: ${p}`);
  process.exit(1);
}
console.log(`check-references: ${refs.size} references, all present`);
