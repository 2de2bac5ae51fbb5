/** What one benchmark reports: named figures, and ratios against a peer measured in the same run. */
export interface BenchResult {
  name: string;
  figures: Record<string, number | string>;
  /** e.g. `{ 'ingest / no-op ceiling': 0.86 }` */
  ratios?: Record<string, number>;
  notes?: string[];
}

export interface Bench {
  name: string;
  /** Real services the benchmark needs; it is skipped (and says so) when they are not up. */
  needs?: ('kafka' | 'cassandra' | 's3' | 'trino')[];
  run(options: BenchOptions): Promise<BenchResult>;
}

export interface BenchOptions {
  scale: number;
  /** Flags of `npm run bench` beyond --scale (e.g. the soak's --days, --students, --stack). */
  flags: Record<string, string | boolean | undefined>;
}
