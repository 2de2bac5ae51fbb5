"""A stand-in for Knative JobSink, for the Airflow DAG tests ONLY.

IMPORTANT: this checks the DAG's HTTP contract with JobSink, nothing else. It runs no real batch
job: each accepted event starts a real child process (``python -c``) that sleeps briefly and exits
0, or exits 1 when the event's ``data.job`` equals env ``STUB_FAIL_JOB``. The project's real
trigger service (functions/batch) is used instead when the tests get ``ULA_BATCH_TRIGGER_URL``.

Contract mimicked (Knative JobSink, see docs/ and the platform notes):

* ``POST <path>`` with a CloudEvent. Structured mode (``Content-Type: application/cloudevents+json``)
  is required here (the DAG must send it); a missing ``specversion``/``id``/``source``/``type`` is a
  400. Events are de-duplicated on ``source`` + ``id``: a repeated event gets 202 and the Location of
  the job it started first. Answer: **202 Accepted** + ``Location`` (a path, or an absolute URL when
  env ``STUB_LOCATION_STYLE=absolute``).
* ``GET <path>/<job id>``: 202 while the child runs, 200 when it exited 0, 400 when it failed,
  404 for an unknown id.
* Test helpers: ``GET /_stub/events`` (every POST received, in order, with its Content-Type and
  parsed body), ``GET /_stub/healthz``.

Run: ``python jobsink_stub.py [--port 0] [--path /jobs/batch]``; prints ``LISTENING <port>`` on
stdout once it serves. Env: ``STUB_FAIL_JOB``, ``STUB_JOB_SECONDS`` (default 1.0),
``STUB_LOCATION_STYLE`` (``path``|``absolute``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REQUIRED_ATTRIBUTES = ("specversion", "id", "source", "type")
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"


class StubState:
    def __init__(self, path: str, fail_job: str, job_seconds: float, absolute: bool) -> None:
        self.path = path.rstrip("/") or "/"
        self.fail_job = fail_job
        self.job_seconds = job_seconds
        self.absolute = absolute
        self.lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        self.jobs: dict[str, subprocess.Popen[bytes]] = {}

    def start_job(self, job_id: str, job: str) -> None:
        code = 1 if self.fail_job and job == self.fail_job else 0
        script = f"import sys, time; time.sleep({self.job_seconds!r}); sys.exit({code})"
        self.jobs[job_id] = subprocess.Popen([sys.executable, "-c", script])

    def stop(self) -> None:
        for proc in self.jobs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


class Handler(BaseHTTPRequestHandler):
    server_version = "jobsink-stub/1"
    state: StubState  # set on the class by serve()

    def log_message(self, fmt: str, *args: Any) -> None:  # to stderr, compact
        sys.stderr.write("[jobsink-stub] " + (fmt % args) + "\n")

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        st = self.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        record: dict[str, Any] = {"path": self.path, "content_type": content_type, "raw": raw.decode("utf-8", "replace")}
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        record["event"] = body
        with st.lock:
            st.events.append(record)
        if self.path.rstrip("/") != st.path:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no JobSink at {self.path}"})
            return
        if content_type.split(";")[0].strip().lower() != STRUCTURED_CONTENT_TYPE:
            self._send(HTTPStatus.BAD_REQUEST, {"error": f"expected structured mode ({STRUCTURED_CONTENT_TYPE})"})
            return
        if not isinstance(body, dict) or any(not body.get(attr) for attr in REQUIRED_ATTRIBUTES):
            self._send(HTTPStatus.BAD_REQUEST, {"error": "invalid CloudEvent"})
            return
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        job_id = hashlib.md5(f"{body['source']}{body['id']}".encode()).hexdigest()
        with st.lock:
            if job_id not in st.jobs:
                st.start_job(job_id, str(data.get("job", "")))
        location = f"{st.path}/{job_id}"
        if st.absolute:
            host, port = self.server.server_address[:2]
            location = f"http://{host}:{port}{location}"
        self._send(HTTPStatus.ACCEPTED, {"id": job_id}, {"Location": location})

    def do_GET(self) -> None:  # noqa: N802
        st = self.state
        path = self.path.split("?")[0].rstrip("/")
        if path == "/_stub/healthz":
            self._send(HTTPStatus.OK, {"ok": True})
            return
        if path == "/_stub/events":
            with st.lock:
                self._send(HTTPStatus.OK, st.events)
            return
        prefix = st.path + "/"
        job_id = path[len(prefix) :] if path.startswith(prefix) else ""
        with st.lock:
            proc = st.jobs.get(job_id)
        if proc is None:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"unknown job {job_id!r}"})
            return
        code = proc.poll()
        if code is None:
            self._send(HTTPStatus.ACCEPTED, {"status": "running"})
        elif code == 0:
            self._send(HTTPStatus.OK, {"status": "succeeded"})
        else:
            self._send(HTTPStatus.BAD_REQUEST, {"status": "failed", "exitCode": code})


def serve(port: int, path: str) -> None:
    state = StubState(
        path=path,
        fail_job=os.environ.get("STUB_FAIL_JOB", "").strip(),
        job_seconds=float(os.environ.get("STUB_JOB_SECONDS", "1.0")),
        absolute=os.environ.get("STUB_LOCATION_STYLE", "path") == "absolute",
    )
    Handler.state = state
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        state.stop()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--path", default="/jobs/batch")
    args = parser.parse_args()
    serve(args.port, args.path)


if __name__ == "__main__":
    main()
