// Rewrites docs/views.md from the view declarations (`npm run docs:views -w functions/batch`).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { viewsMarkdown } from '@ula/core/batch/views-doc';

const file = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/views.md');
writeFileSync(file, viewsMarkdown());
process.stdout.write(`wrote ${file}\n`);
