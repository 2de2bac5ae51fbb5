// Rewrites docs/events.md's section "xAPI statements → catalogue" from the mapping rules.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withXapiSection } from './xapi-doc.ts';

const file = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/events.md');
writeFileSync(file, withXapiSection(readFileSync(file, 'utf8')));
process.stdout.write(`wrote ${file}\n`);
