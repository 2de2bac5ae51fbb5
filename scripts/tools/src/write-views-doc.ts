// Rewrites docs/views.md from the view declarations (`npm run docs:views`).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { viewsMarkdown } from './views-doc.ts';

const file = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/views.md');
writeFileSync(file, viewsMarkdown());
process.stdout.write(`wrote ${file}\n`);
