/**
 * docs/views.md, generated from the view declarations (so the documentation cannot drift from the code):
 * per batch job, every stored view with its grain, primary key, description and columns.
 * `npm run docs:views` rewrites it; a test checks it is current.
 */
import { batchViews } from '@ula/core/views/batch-catalogue';
import { type BatchViewDefinition, batchJobs } from '@ula/core/views/define';
import { batchTable } from '@ula/core/views/tables';

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function grainOf(view: BatchViewDefinition<never>): string {
  const table = batchTable(view);
  const clustering = table.clustering.map((c) => c.name);
  return `((${table.partitionKey.join(', ')})${clustering.length > 0 ? `, ${clustering.join(', ')}` : ''})`;
}

function columnsOf(view: BatchViewDefinition<never>): string {
  const projection = view.projectionOf;
  const metrics = Object.entries(view.metrics).map(([name, m]) => {
    const from = projection && projection.metrics[name] !== name ? ` (= ${projection.metrics[name]})` : '';
    return `\`${name}\` ${m.aggregate.kind}${m.where ? ' (subset)' : ''}${from}${m.doc ? `: ${m.doc}` : ''}`;
  });
  const derived = Object.entries(view.derived ?? {}).map(
    ([name, d]) => `\`${name}\` derived${d.doc ? `: ${d.doc}` : ''}`,
  );
  return [...metrics, ...derived].join('<br>');
}

export function viewsMarkdown(): string {
  const lines = [
    '# Views',
    '',
    '<!-- Generated from the declarations in functions/core/src/categories/*/ by',
    '     `npm run docs:views`. Do not edit by hand: a test fails when it drifts. -->',
    '',
    'Batch views are exact, recomputed by the batch jobs from the raw lake (see [batch.md](batch.md)).',
    'Calendar columns (`date`, `hour`) are local to the analytics time zone (`ULA_TIMEZONE`, default',
    'Asia/Ho_Chi_Minh); timestamps are UTC instants. Grain = Cassandra primary key: `((partition key), clustering columns)`.',
    'Metric kinds: count, count_distinct (exact, members kept in the batch state), sum, avg, min, max,',
    'earliest/latest (instants); "(subset)" = counted over a subset of the view\'s events only;',
    '"derived" = computed from the row. Views marked "daily" have one partition per local date.',
    'Scores are percent of their maximum (`score / max_score × 100`, columns `…_percentage`): quizzes and',
    'assignments come on different scales (out of 10, of 100, fractions of 1), so raw scores are never averaged.',
    '',
  ];
  let stored = 0;
  for (const job of batchJobs) {
    const views = batchViews.filter((v) => v.job === job);
    lines.push(
      `## Job \`${job}\``,
      '',
      '| View | Grain | Period | What it holds | Columns |',
      '|---|---|---|---|---|',
    );
    for (const view of views) {
      const from = view.from
        ? ` Reads the rows of \`${view.from}\`.`
        : view.projectionOf
          ? ` Computed with \`${view.projectionOf.view}\` (the same groups and events).`
          : '';
      const note = view.intermediate ? ' *Intermediate: not stored, feeds other views.*' : '';
      if (!view.intermediate) stored++;
      lines.push(
        `| \`${view.name}\` | ${view.intermediate ? '—' : `\`${grainOf(view)}\``} | ${view.period === 'day' ? 'daily' : 'all-time'} | ${cell(view.doc + from + note)} | ${cell(columnsOf(view))} |`,
      );
    }
    lines.push('');
  }
  lines.push(`${stored} stored batch views in all.`, '');
  return lines.join('\n');
}
