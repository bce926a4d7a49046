#!/usr/bin/env node
// Regenerates the module map in docs/architecture.md from the real import graph
// (dependency-cruiser), between the MODULE-DIAGRAM markers: `npm run docs:diagram`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const mermaid = execFileSync(
  'npx',
  [
    'depcruise', 'src', '--config', 'architecture-rules.cjs', '--output-type', 'mermaid',
    '--collapse', '^src/(modules/[^/]+|platform|[^/]+\\.ts)',
    '--exclude', '\\.spec\\.ts$', '--include-only', '^src',
  ],
  { cwd: root, encoding: 'utf8' },
);
const file = path.join(root, 'docs/architecture.md');
const doc = readFileSync(file, 'utf8');
const begin = '<!-- MODULE-DIAGRAM:BEGIN (npm run docs:diagram) -->';
const end = '<!-- MODULE-DIAGRAM:END -->';
const from = doc.indexOf(begin);
const to = doc.indexOf(end);
if (from < 0 || to < 0) throw new Error(`markers not found in ${file}`);
const block = `${begin}\n\`\`\`mermaid\n${mermaid.trim()}\n\`\`\`\n`;
writeFileSync(file, doc.slice(0, from) + block + doc.slice(to));
console.log('docs/architecture.md: module diagram updated');
