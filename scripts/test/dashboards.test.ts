import { describe, expect, it } from 'vitest';
import {
  chartPanels,
  dashboardProblems,
  metricNames,
  readDashboards,
  registeredNames,
} from '../monitoring/dashboards.ts';

describe('Grafana dashboards (scripts/k8s/manifests/monitoring/dashboards)', () => {
  it('reads metric names out of PromQL', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, route) (rate(ula_serving_request_duration_seconds_bucket{status=~"5.."}[$__rate_interval])))',
      ),
    ).toEqual(['ula_serving_request_duration_seconds_bucket']);
    expect(metricNames('time() - max(ula_speed_newest_event_timestamp_seconds) offset 1h')).toEqual([
      'ula_speed_newest_event_timestamp_seconds',
    ]);
    expect(metricNames('sum(rate(a_total[5m])) / on (pod) group_left sum(b) and c > bool 1e3')).toEqual([
      'a_total',
      'b',
      'c',
    ]);
  });

  it('every panel has a title and a unit, and charts only metrics the code registers', async () => {
    const registered = await registeredNames();
    const dashboards = readDashboards();
    expect(dashboards.map((d) => d.file)).toEqual(['api.json', 'batch-lake.json', 'event-path.json']);
    const problems = dashboards.flatMap(({ file, dashboard }) =>
      dashboardProblems(file, dashboard, registered),
    );
    expect(problems).toEqual([]);
    const uids = dashboards.map((d) => d.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('charts what operators need: ingest rate and acks, dead letters, speed freshness, batch runs, lake files, API latency', () => {
    const charted = new Set(
      readDashboards().flatMap(({ dashboard }) =>
        chartPanels(dashboard).flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr ?? ''))),
      ),
    );
    for (const name of [
      'ula_ingest_events_accepted_total',
      'ula_ingest_events_rejected_total',
      'ula_speed_newest_event_timestamp_seconds',
      'ula_batch_last_run_timestamp_seconds',
      'ula_batch_last_run_duration_seconds',
      'ula_ingest_files_written_total',
      'ula_compaction_files_total',
      'ula_serving_request_duration_seconds_bucket',
    ])
      expect(charted, name).toContain(name);
  });

  it('fails for a metric nobody registers, and for a panel without title or unit', async () => {
    const registered = await registeredNames();
    const problems = dashboardProblems(
      'broken.json',
      {
        uid: 'broken',
        title: 'broken',
        panels: [
          {
            id: 1,
            type: 'timeseries',
            title: 'typo',
            fieldConfig: { defaults: { unit: 's' } },
            targets: [{ expr: 'rate(ula_ingest_events_acepted_total[5m])' }],
          },
          { id: 2, type: 'stat', targets: [{ expr: 'ula_speed_newest_event_timestamp_seconds' }] },
        ],
      },
      registered,
    );
    expect(problems).toEqual([
      'broken.json panel 1 "typo": metric ula_ingest_events_acepted_total is not registered by any component',
      'broken.json panel 2 "": no title',
      'broken.json panel 2 "": no unit (fieldConfig.defaults.unit)',
    ]);
  });
});
