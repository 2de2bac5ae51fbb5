"""Hourly compaction of the lake of the University Learning Analytics Lambda architecture.

Ingest writes many small Parquet files per (category, UTC date, UTC hour) partition (one per group
commit), and the xapi function per UTC hour of its statement table (xapi/statements/). Every hour, at
minute 15 UTC, this DAG asks Knative **JobSink** to run the batch entry point's ``compact`` job, which
rewrites each *closed* partition of either table in the requested UTC dates into one file (an hour is
closed 10 minutes after its end, ``ULA_COMPACTION_LATENESS_MINUTES`` of the job; minute 15 leaves a few
minutes more), and waits for it::

    trigger_compact  --POST CloudEvent-->  JobSink  (202 Accepted + Location header -> XCom)
    wait_compact     --GET Location---->   JobSink  (202 running: poke again / 200 succeeded / 400 failed)

The request is the batch-request CloudEvent of ``batch_layer_pipeline``, in structured JSON mode::

    {"specversion": "1.0", "id": "<run_id>-compact", "source": "/airflow/lake_compaction",
     "type": "edu.lms.batch.request", "datacontenttype": "application/json",
     "data": {"job": "compact", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}}

* ``from``/``to`` are **UTC** dates (lake partitions are UTC hours): ``from`` is the date of the data
  interval end minus 7 days (the batch's look-back for late events), ``to`` the date of the data interval
  end (a scheduled run's data interval ends at its run time, HH:15 UTC). So every run also looks at the
  last week again and compacts a partition once more if late files arrived after its first compaction
  (with a 24-hour window, events more than a day late left files no run came back to: the soak benchmark,
  docs/batch.md). A
  partition that is already one file is only listed, not rewritten. ``dag_run.conf`` ``{"from": ..., "to": ...}`` overrides them (e.g.
  compacting a backfilled history); a run without a data interval uses its ``run_after``.
* The compaction is idempotent and crash-safe (the compacted file is written before the inputs are
  deleted, under a name derived from its event ids), and records its run in ``batch_runs`` (job
  ``compact``) like the view jobs, which is where JobSink's status (and the local trigger service's)
  comes from. ``max_active_runs=1``: two compactions of one partition at once are safe, but pointless.
* Ordering with ``batch_layer_pipeline`` (daily at 01:00 in ``ULA_TIMEZONE``, 18:00 UTC for UTC+7): the
  last UTC hour of the local day it computes is hour 16 UTC, closed at 17:10 and compacted by the 17:15
  UTC run of this DAG, so the daily batch reads the day's partitions compacted. Correctness does not
  depend on it: the batch reads uncompacted partitions as well.
* ``id`` (deterministic per DAG run), sensors, retries with exponential backoff and the configuration
  (connection ``batch_jobsink``, Variable/env ``ULA_JOBSINK_PATH``, the ``ULA_AIRFLOW_*`` env) are those of
  ``batch_layer_pipeline``: see ``ula_jobsink.py``. A compaction that *failed* stays failed for its DAG
  run; the next hourly run covers the same partitions again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable
from ula_jobsink import DEFAULT_ARGS, TEMPLATE_FILTERS, jobsink_tasks, request_event, request_range

DAG_ID = "lake_compaction"
JOB = "compact"
SCHEDULE = "15 * * * *"  # UTC: each hour's partitions, once closed (end + 10 min lateness)
RECOMPACT_WINDOW = dt.timedelta(days=7)  # as compactionWindowDays in functions/core/src/lake/compaction.ts


def compaction_range(data_interval_end: Any, run_after: Any = None) -> tuple[str, str]:
    """(from, to): the UTC dates of (data interval end − 7 days) and of the data interval end."""
    end = data_interval_end if data_interval_end is not None else run_after
    if end is None:
        raise ValueError("neither a data interval nor run_after: cannot tell which hours to compact")
    end = pendulum.instance(end).in_timezone("UTC")
    return (end - RECOMPACT_WINDOW).to_date_string(), end.to_date_string()


def compaction_event(run_id: str, data_interval_end: Any, dag_run: Any = None) -> str:
    """The structured-mode CloudEvent (JSON text) asking JobSink to compact the lake.

    Used as a template macro: ``{{ compaction_event(run_id, data_interval_end, dag_run) }}``.
    """
    day_from, day_to = request_range(
        dag_run, lambda: compaction_range(data_interval_end, getattr(dag_run, "run_after", None))
    )
    return request_event(DAG_ID, run_id, JOB, day_from, day_to)


with DAG(
    dag_id=DAG_ID,
    description="Hourly raw-lake compaction: one file per closed (category, UTC date, hour) partition, through JobSink",
    doc_md=__doc__,
    schedule=CronTriggerTimetable(SCHEDULE, timezone="UTC", interval=dt.timedelta(hours=1)),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["ula", "lake", "compaction", "lambda-architecture", "jobsink"],
    user_defined_macros={"compaction_event": compaction_event},
    user_defined_filters=TEMPLATE_FILTERS,
) as dag:
    jobsink_tasks(
        JOB,
        "{{ compaction_event(run_id, data_interval_end, dag_run) }}",
        "the lake compaction (job `compact`)",
    )
