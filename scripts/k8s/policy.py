#!/usr/bin/env python3
"""Deployment rules that a JSON schema cannot express, checked on the manifests rendered by
`scripts/deploy_minikube.sh --dry-run DIR`:

* wiring: every secretKeyRef / configMapKeyRef / envFrom names a Secret or ConfigMap key that the
  deployment creates in that namespace; KafkaSource sinks and dead-letter sinks name resources that exist;
  the Airflow connection and JobSink path point at the JobSink that exists;
* xAPI: every category topic has a binary-mode KafkaSink, and the xapi Service's sink URL template names
  exactly those sinks (the KafkaSink ingress path /<namespace>/<name>); its Basic credentials come from the
  Secret ula-xapi;
* event delivery: KafkaSources read the six category topics, unordered, with an explicit retry budget
  (retry, exponential backoffPolicy, backoffDelay, timeout) and the dead-letter KafkaSink on
  dead_letter_topic; each has its own consumer group;
* Kafka topics: names, partition counts, replicas/min ISR 1, cleanup.policy delete (profile_topic too);
* Kafka security: every listener of the Kafka takes TLS and SCRAM-SHA-512 (no anonymous client), the
  bootstrap address is the `tls` listener's, the KafkaUser ula is SCRAM, and every KafkaSink and KafkaSource
  authenticates with the Secret ula-kafka (SASL and TLS on);
* credentials only from Secrets (no literal value for a password/secret/token/key variable), and the
  only Secrets are the generated ones;
* every container has a pinned image, memory limits and requests; Knative Services have probes on
  /health/*, port 8080, autoscaling annotations and the Prometheus scrape annotations; the JobSink's Job has backoffLimit, TTL,
  restartPolicy Never;
* ConfigMaps generated from repository files hold those files byte for byte (trino-lake: the generated
  trino/lake/*.sql with the time zone filled in, and the Job trino-lake that applies them);
* monitoring: Prometheus discovers the project's pods in the functions' namespace and scrapes the Pushgateway
  (honor_labels) that the batch Job pushes to (ULA_PUSHGATEWAY_URL); Grafana's admin password is a Secret;
* eventing/kustomization.yaml lists every manifest in eventing/.

Usage: policy.py RENDER_DIR REPO_ROOT   (exit 1 with one line per problem)
"""
from __future__ import annotations

import os
import re
import sys

import yaml

CATEGORY_TOPICS = {
    "auth_topic": 3,
    "assessment_topic": 5,
    "video_topic": 5,
    "course_topic": 3,
    "profile_topic": 2,
    "notification_topic": 3,
}
ALL_TOPICS = {**CATEGORY_TOPICS, "dead_letter_topic": 3}
CONFIG_KEYS = {
    "ULA_TIMEZONE", "ULA_S3_ENDPOINT", "ULA_S3_BUCKET", "ULA_S3_REGION", "ULA_CASSANDRA_CONTACT_POINTS",
    "ULA_CASSANDRA_LOCAL_DC", "ULA_CASSANDRA_KEYSPACE", "ULA_KAFKA_BROKERS", "ULA_TRINO_URL", "ULA_CORS_ORIGINS",
}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY|FERNET|JWT|CREDENTIAL", re.I)
FILE_CONFIGMAPS = {  # (namespace, name) → (repo folder, suffix)
    ("cassandra", "cassandra-schema"): ("cassandra", "schema.cql"),
    ("trino", "trino-catalog"): ("trino/catalog/k8s", ".properties"),
    ("trino", "trino-etc"): ("trino/etc/k8s", ".properties"),
    ("trino", "trino-security"): ("trino/security", ""),
    ("airflow", "airflow-dags"): ("airflow/dags", ".py"),
    ("monitoring", "grafana-dashboards"): ("scripts/k8s/manifests/monitoring/dashboards", ".json"),
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}

problems: list[str] = []


def problem(where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def load(render_dir: str) -> list[tuple[str, dict]]:
    docs = []
    for base, _, names in os.walk(render_dir):
        for name in sorted(names):
            if not name.endswith(".yaml") or name == "kustomization.yaml":
                continue
            path = os.path.join(base, name)
            with open(path, encoding="utf-8") as f:
                for doc in yaml.safe_load_all(f):
                    if doc:
                        docs.append((os.path.relpath(path, render_dir), doc))
    return docs


def where(path: str, doc: dict) -> str:
    meta = doc.get("metadata", {})
    return f"{path} {doc.get('kind')} {meta.get('namespace', '-')}/{meta.get('name')}"


def pod_specs(doc: dict) -> list[dict]:
    kind, spec = doc["kind"], doc.get("spec", {})
    if kind in ("Deployment", "StatefulSet", "Job"):
        return [spec["template"]["spec"]]
    if kind == "Service" and doc["apiVersion"].startswith("serving.knative.dev"):
        return [spec["template"]["spec"]]
    if kind == "JobSink":
        return [spec["job"]["spec"]["template"]["spec"]]
    return []


def check(render_dir: str, root: str) -> None:
    docs = load(render_dir)
    if len(docs) < 40:
        problem(render_dir, f"only {len(docs)} resources rendered; expected the whole deployment")
    data: dict[tuple[str, str, str], set[str]] = {}  # (kind, namespace, name) → keys
    objects: dict[tuple[str, str, str], dict] = {}
    for path, doc in docs:
        meta = doc.get("metadata", {})
        ns = meta.get("namespace", "")
        if doc["kind"] not in CLUSTER_SCOPED and not ns:
            problem(where(path, doc), "no metadata.namespace")
        objects[(doc["kind"], ns, meta.get("name"))] = doc
        if doc["kind"] == "ConfigMap":
            data[("ConfigMap", ns, meta["name"])] = set(doc.get("data") or {})
        if doc["kind"] == "Secret":
            data[("Secret", ns, meta["name"])] = set(doc.get("stringData") or {}) | set(doc.get("data") or {})
            if not path.startswith("secrets/"):
                problem(where(path, doc), "a Secret in a manifest: Secrets are generated by the deploy script only")

    # Workloads: references, credentials, images, resources.
    for path, doc in docs:
        ns = doc.get("metadata", {}).get("namespace", "")
        for pod in pod_specs(doc):
            for c in pod.get("initContainers", []) + pod.get("containers", []):
                w = f"{where(path, doc)} container {c.get('name')}"
                image = c.get("image", "")
                if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
                    problem(w, f"image {image!r} is not pinned to a tag")
                res = c.get("resources", {})
                if not res.get("requests") or "memory" not in res.get("limits", {}):
                    problem(w, "needs resources.requests and limits.memory")
                for env in c.get("env", []):
                    name = env["name"]
                    if "value" in env and SECRET_NAME.search(name) and not name.endswith("_FILE"):
                        problem(w, f"env {name} has a literal value; take it from a Secret")
                    ref = env.get("valueFrom", {})
                    for kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                        if key in ref:
                            target = ref[key]
                            keys = data.get((kind, ns, target["name"]))
                            if keys is None:
                                problem(w, f"env {name}: {kind} {ns}/{target['name']} is not created by the deployment")
                            elif target["key"] not in keys:
                                problem(w, f"env {name}: {kind} {ns}/{target['name']} has no key {target['key']!r}")
                for src in c.get("envFrom", []):
                    for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                        if key in src and (kind, ns, src[key]["name"]) not in data:
                            problem(w, f"envFrom {kind} {ns}/{src[key]['name']} is not created by the deployment")
            for vol in pod.get("volumes", []):
                if "configMap" in vol and ("ConfigMap", ns, vol["configMap"]["name"]) not in data:
                    problem(where(path, doc), f"volume {vol['name']}: ConfigMap {vol['configMap']['name']} missing")
                if "secret" in vol and ("Secret", ns, vol["secret"]["secretName"]) not in data:
                    problem(where(path, doc), f"volume {vol['name']}: Secret {vol['secret']['secretName']} missing")

    # Knative Services.
    ksvcs = {k[2]: d for k, d in objects.items() if k[0] == "Service" and d["apiVersion"].startswith("serving.knative.dev")}
    for name in ("ingest", "speed", "serving", "xapi"):
        svc = ksvcs.get(name)
        if svc is None:
            problem("eventing", f"Knative Service {name} missing")
            continue
        tmpl = svc["spec"]["template"]
        ann = tmpl.get("metadata", {}).get("annotations", {})
        for key in ("min-scale", "max-scale", "metric", "target"):
            if f"autoscaling.knative.dev/{key}" not in ann:
                problem(f"ksvc {name}", f"annotation autoscaling.knative.dev/{key} missing")
        if ann.get("prometheus.io/scrape") != "true" or str(ann.get("prometheus.io/port")) != "8080":
            problem(f"ksvc {name}", "revision template needs prometheus.io/scrape \"true\" and port 8080 (Prometheus pod discovery)")
        if tmpl.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/part-of") != "university-learning-analytics":
            problem(f"ksvc {name}", "revision template needs label app.kubernetes.io/part-of=university-learning-analytics (scraped pods)")
        c = tmpl["spec"]["containers"][0]
        if [p.get("containerPort") for p in c.get("ports", [])] != [8080]:
            problem(f"ksvc {name}", "container port must be 8080 (faas-js-runtime)")
        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/health/readiness":
            problem(f"ksvc {name}", "readinessProbe must GET /health/readiness")
        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/health/liveness":
            problem(f"ksvc {name}", "livenessProbe must GET /health/liveness")
        if not re.search(rf"/ula-{name}:[^:]+$", c["image"]):
            problem(f"ksvc {name}", f"image {c['image']} is not <registry>/ula-{name}:<tag>")

    # Config.
    configs = [d for k, d in objects.items() if k[0] == "ConfigMap" and k[2] == "ula-config"]
    if len(configs) != 1:
        problem("eventing", "exactly one ConfigMap ula-config expected")
    else:
        missing = CONFIG_KEYS - set(configs[0]["data"])
        if missing:
            problem("ConfigMap ula-config", f"missing keys {sorted(missing)}")
        bad = [k for k in configs[0]["data"] if SECRET_NAME.search(k)]
        if bad:
            problem("ConfigMap ula-config", f"credentials do not belong in a ConfigMap: {bad}")

    # Topics.
    topics = {d["spec"].get("topicName", k[2]): d for k, d in objects.items() if k[0] == "KafkaTopic"}
    if set(topics) != set(ALL_TOPICS):
        problem("KafkaTopics", f"expected {sorted(ALL_TOPICS)}, got {sorted(topics)}")
    for name, t in topics.items():
        spec = t["spec"]
        if spec.get("partitions") != ALL_TOPICS.get(name):
            problem(f"KafkaTopic {name}", f"partitions {spec.get('partitions')} != {ALL_TOPICS.get(name)}")
        if spec.get("replicas") != 1 or spec.get("config", {}).get("min.insync.replicas") != 1:
            problem(f"KafkaTopic {name}", "single-node minikube: replicas and min.insync.replicas must be 1")
        if spec.get("config", {}).get("cleanup.policy") != "delete":
            problem(f"KafkaTopic {name}", "cleanup.policy must be delete (a compacted topic loses history)")
        if t["metadata"].get("labels", {}).get("strimzi.io/cluster") != "ula-kafka":
            problem(f"KafkaTopic {name}", "label strimzi.io/cluster must be ula-kafka")

    # Kafka security: SASL/SCRAM-SHA-512 over TLS everywhere (docs/deployment.md#kafka-security).
    for k, d in objects.items():
        if k[0] == "Kafka":
            for listener in d["spec"]["kafka"].get("listeners", []):
                if not listener.get("tls") or listener.get("authentication", {}).get("type") != "scram-sha-512":
                    problem(f"Kafka {k[2]} listener {listener.get('name')}", "must be tls: true with authentication scram-sha-512")
            if "userOperator" not in d["spec"].get("entityOperator", {}):
                problem(f"Kafka {k[2]}", "entityOperator.userOperator is needed for the KafkaUser's credentials")
    users = {k[2]: d for k, d in objects.items() if k[0] == "KafkaUser"}
    if users.get("ula", {}).get("spec", {}).get("authentication", {}).get("type") != "scram-sha-512":
        problem("KafkaUser kafka/ula", "must exist with authentication scram-sha-512")
    for k, d in objects.items():
        w = f"{k[0]} {k[2]}"
        if k[0] in ("KafkaSink", "KafkaSource") and any(not b.endswith(":9093") for b in d["spec"]["bootstrapServers"]):
            problem(w, f"bootstrapServers must be the tls listener (:9093), are {d['spec']['bootstrapServers']}")
        if k[0] == "KafkaSink" and d["spec"].get("auth", {}).get("secret", {}).get("ref", {}).get("name") != "ula-kafka":
            problem(w, "spec.auth.secret.ref.name must be ula-kafka (SASL_SSL credentials and CA)")
        if k[0] == "KafkaSource":
            net = d["spec"].get("net", {})
            refs = [net.get("sasl", {}).get(f, {}).get("secretKeyRef", {}) for f in ("user", "password", "type")]
            refs.append(net.get("tls", {}).get("caCert", {}).get("secretKeyRef", {}))
            if not net.get("sasl", {}).get("enable") or not net.get("tls", {}).get("enable") or any(
                r.get("name") != "ula-kafka" for r in refs
            ):
                problem(w, "spec.net: sasl and tls enabled, user/password/type/caCert from the Secret ula-kafka")

    # Event delivery.
    sinks = {k[2]: d for k, d in objects.items() if k[0] == "KafkaSink"}
    sources = [d for k, d in objects.items() if k[0] == "KafkaSource"]
    subscribers = set()
    groups = []
    for src in sources:
        w = f"KafkaSource {src['metadata']['name']}"
        spec = src["spec"]
        groups.append(spec.get("consumerGroup"))
        if set(spec.get("topics", [])) != set(CATEGORY_TOPICS):
            problem(w, f"must read the six category topics, reads {spec.get('topics')}")
        if spec.get("ordering") != "unordered":
            problem(w, "ordering must be unordered (group commit needs many events in flight)")
        d = spec.get("delivery", {})
        for key in ("retry", "backoffPolicy", "backoffDelay", "timeout", "deadLetterSink"):
            if key not in d:
                problem(w, f"delivery.{key} must be explicit")
        if d.get("backoffPolicy") != "exponential":
            problem(w, "delivery.backoffPolicy must be exponential")
        dls = d.get("deadLetterSink", {}).get("ref", {})
        sink = sinks.get(dls.get("name"))
        if dls.get("kind") != "KafkaSink" or sink is None:
            problem(w, f"deadLetterSink must be a KafkaSink of the deployment, is {dls}")
        elif sink["spec"]["topic"] != "dead_letter_topic":
            problem(w, "the dead-letter KafkaSink must write dead_letter_topic")
        target = spec.get("sink", {}).get("ref", {})
        if target.get("kind") != "Service" or target.get("name") not in ksvcs:
            problem(w, f"sink must be one of the Knative Services, is {target}")
        subscribers.add(target.get("name"))
    if subscribers != {"ingest", "speed"}:
        problem("KafkaSources", f"ingest and speed must each receive every event; subscribers are {sorted(subscribers)}")
    if len(set(groups)) != len(groups) or None in groups:
        problem("KafkaSources", "each KafkaSource needs its own explicit consumerGroup")

    # xAPI: the function's derived events enter Kafka through one KafkaSink per category topic.
    category_sinks = {d["spec"]["topic"]: d for d in sinks.values() if d["spec"]["topic"] in CATEGORY_TOPICS}
    if set(category_sinks) != set(CATEGORY_TOPICS):
        problem("KafkaSinks", f"each category topic needs a KafkaSink (xapi's events); missing {sorted(set(CATEGORY_TOPICS) - set(category_sinks))}")
    for topic, sink in category_sinks.items():
        if sink["spec"].get("contentMode") != "binary":
            problem(f"KafkaSink {sink['metadata']['name']}", "contentMode must be binary (the records every other producer writes)")
    xapi = ksvcs.get("xapi")
    if xapi is not None:
        ns = xapi["metadata"]["namespace"]
        env = {e["name"]: e for e in xapi["spec"]["template"]["spec"]["containers"][0].get("env", [])}
        template = env.get("ULA_XAPI_SINK_URL", {}).get("value", "")
        prefix = f"http://kafka-sink-ingress.knative-eventing.svc.cluster.local/{ns}/"
        for topic, sink in category_sinks.items():
            category = topic.removesuffix("_topic")
            if template.replace("{category}", category) != prefix + sink["metadata"]["name"]:
                problem("ksvc xapi", f"ULA_XAPI_SINK_URL {template!r} does not name the KafkaSink {ns}/{sink['metadata']['name']} of {topic}")
        ref = env.get("ULA_XAPI_CREDENTIALS", {}).get("valueFrom", {}).get("secretKeyRef", {})
        if ref.get("name") != "ula-xapi":
            problem("ksvc xapi", "ULA_XAPI_CREDENTIALS must come from the Secret ula-xapi")

    # JobSink and Airflow.
    jobsinks = {(k[1], k[2]): d for k, d in objects.items() if k[0] == "JobSink"}
    if len(jobsinks) != 1 or next(iter(jobsinks))[1] != "batch-jobs":
        problem("eventing", "exactly one JobSink batch-jobs expected")
    else:
        (ns, name), js = next(iter(jobsinks.items()))
        job = js["spec"]["job"]["spec"]
        for key in ("backoffLimit", "ttlSecondsAfterFinished", "activeDeadlineSeconds"):
            if key not in job:
                problem("JobSink batch-jobs", f"job spec needs {key}")
        if job["template"]["spec"].get("restartPolicy") != "Never":
            problem("JobSink batch-jobs", "restartPolicy must be Never (a failed job must fail visibly)")
        airflow = objects.get(("Deployment", "airflow", "airflow"))
        if airflow is None:
            problem("airflow", "Deployment airflow/airflow missing")
        else:
            for c in airflow["spec"]["template"]["spec"]["containers"]:
                env = {e["name"]: e.get("value") for e in c.get("env", [])}
                conn = env.get("AIRFLOW_CONN_BATCH_JOBSINK") or ""
                if "job-sink.knative-eventing.svc.cluster.local" not in conn:
                    problem(f"airflow {c['name']}", "AIRFLOW_CONN_BATCH_JOBSINK must point at the JobSink service")
                if env.get("ULA_JOBSINK_PATH") != f"/{ns}/{name}":
                    problem(f"airflow {c['name']}", f"ULA_JOBSINK_PATH must be /{ns}/{name}")

    # ConfigMaps generated from repository files.
    for (ns, name), (folder, suffix) in FILE_CONFIGMAPS.items():
        cm = objects.get(("ConfigMap", ns, name))
        if cm is None:
            problem("configmaps", f"ConfigMap {ns}/{name} missing")
            continue
        folder_path = os.path.join(root, folder)
        expected = {}
        if os.path.isdir(folder_path):
            for f in sorted(os.listdir(folder_path)):
                if f.endswith(suffix) and os.path.isfile(os.path.join(folder_path, f)):
                    with open(os.path.join(folder_path, f), encoding="utf-8") as fh:
                        text = fh.read()
                    expected[f] = text if text.endswith("\n") or not text else text + "\n"
        if (cm.get("data") or {}) != expected:
            problem(f"ConfigMap {ns}/{name}", f"does not hold {folder}/*{suffix} byte for byte")

    # The lake's Trino objects: ConfigMap trino/trino-lake = the Job's script + trino/lake/*.sql (generated from
    # TypeScript) with ${ULA_TIMEZONE} filled in from ula-config; the Job trino-lake runs it with that ConfigMap.
    lake_cm = objects.get(("ConfigMap", "trino", "trino-lake"))
    tz = (configs[0]["data"].get("ULA_TIMEZONE") if len(configs) == 1 else None) or ""
    if lake_cm is None:
        problem("configmaps", "ConfigMap trino/trino-lake (the lake's Trino tables and views) missing")
    else:
        expected = {}
        with open(os.path.join(root, "scripts/k8s/trino-lake-apply.sh"), encoding="utf-8") as fh:
            expected["trino-lake-apply.sh"] = fh.read()
        for f in ("raw_tables.sql", "serving_views.sql"):
            with open(os.path.join(root, "trino/lake", f), encoding="utf-8") as fh:
                expected[f] = fh.read().replace("${ULA_TIMEZONE}", tz)
        expected = {k: v.rstrip("\n") + "\n" for k, v in expected.items()}
        data = lake_cm.get("data") or {}
        if data != expected:
            differ = sorted(k for k in set(data) | set(expected) if data.get(k) != expected.get(k))
            problem("ConfigMap trino/trino-lake", f"does not hold scripts/k8s/trino-lake-apply.sh and trino/lake/*.sql "
                    f"(ULA_TIMEZONE={tz!r} filled in): differs in {differ}")
        if "${" in "".join(v for k, v in data.items() if k.endswith(".sql")).replace("${date}", "").replace("${hour}", ""):
            problem("ConfigMap trino/trino-lake", "an unfilled ${...} placeholder in the SQL")
        for name in ("lake.serving.daily_active_users", "lake.events.video", "lake.raw.video"):
            if name not in "".join(data.values()):
                problem("ConfigMap trino/trino-lake", f"creates no {name}")
    lake_job = objects.get(("Job", "trino", "trino-lake"))
    if lake_job is None:
        problem("trino", "Job trino/trino-lake (applies the lake's Trino tables and views) missing")
    else:
        pod = lake_job["spec"]["template"]["spec"]
        volumes = {v.get("configMap", {}).get("name") for v in pod.get("volumes", [])}
        command = " ".join(pod["containers"][0].get("command", []))
        if "trino-lake" not in volumes or "trino-lake-apply.sh" not in command:
            problem("Job trino/trino-lake", "must run trino-lake-apply.sh from the ConfigMap trino-lake")

    # Monitoring: Prometheus scrapes the functions' namespace (pods of the project that opt in) and the
    # Pushgateway the batch Job pushes to; Grafana's admin password comes from the generated Secret.
    prom_cm = objects.get(("ConfigMap", "monitoring", "prometheus-config"))
    ula_ns = next(iter(jobsinks))[0] if len(jobsinks) == 1 else "ula"
    if prom_cm is None:
        problem("monitoring", "ConfigMap monitoring/prometheus-config missing")
    else:
        prom = yaml.safe_load(prom_cm["data"]["prometheus.yml"])
        jobs = {j["job_name"]: j for j in prom.get("scrape_configs", [])}
        fn = jobs.get("ula-functions", {})
        sd = (fn.get("kubernetes_sd_configs") or [{}])[0]
        if sd.get("role") != "pod" or ula_ns not in sd.get("namespaces", {}).get("names", []):
            problem("prometheus", f"job ula-functions must discover pods in namespace {ula_ns}")
        keeps = {tuple(r.get("source_labels", [])): r.get("regex") for r in fn.get("relabel_configs", []) if r.get("action") == "keep"}
        if keeps.get(("__meta_kubernetes_pod_label_app_kubernetes_io_part_of",)) != "university-learning-analytics":
            problem("prometheus", "job ula-functions must keep only pods labelled app.kubernetes.io/part-of=university-learning-analytics")
        pg = jobs.get("pushgateway", {})
        targets = [t for c in pg.get("static_configs", []) for t in c.get("targets", [])]
        if not pg.get("honor_labels") or targets != ["pushgateway.monitoring.svc.cluster.local:9091"]:
            problem("prometheus", "job pushgateway must scrape pushgateway.monitoring.svc.cluster.local:9091 with honor_labels")
    for name in ("prometheus", "pushgateway", "grafana"):
        if ("Deployment", "monitoring", name) not in objects:
            problem("monitoring", f"Deployment monitoring/{name} missing")
    cfg = configs[0]["data"] if len(configs) == 1 else {}
    if not str(cfg.get("ULA_PUSHGATEWAY_URL", "")).startswith("http://pushgateway.monitoring.svc.cluster.local:9091"):
        problem("ConfigMap ula-config", "ULA_PUSHGATEWAY_URL must point at the Pushgateway service")
    if len(jobsinks) == 1:
        env = [e["name"] for c in next(iter(jobsinks.values()))["spec"]["job"]["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])]
        if "ULA_PUSHGATEWAY_URL" not in env:
            problem("JobSink batch-jobs", "the batch Job needs ULA_PUSHGATEWAY_URL to push its run's metrics")
    grafana = objects.get(("Deployment", "monitoring", "grafana"))
    if grafana is not None:
        env = {e["name"]: e for e in grafana["spec"]["template"]["spec"]["containers"][0].get("env", [])}
        ref = env.get("GF_SECURITY_ADMIN_PASSWORD", {}).get("valueFrom", {}).get("secretKeyRef", {})
        if ref.get("name") != "grafana-admin":
            problem("Deployment monitoring/grafana", "GF_SECURITY_ADMIN_PASSWORD must come from the Secret grafana-admin")

    # Kustomization.
    with open(os.path.join(root, "eventing", "kustomization.yaml"), encoding="utf-8") as f:
        listed = set(yaml.safe_load(f).get("resources", []))
    present = {f for f in os.listdir(os.path.join(root, "eventing")) if f.endswith(".yaml") and f != "kustomization.yaml"}
    if listed != present:
        problem("eventing/kustomization.yaml", f"resources {sorted(listed)} != files {sorted(present)}")


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    check(sys.argv[1], sys.argv[2])
    for p in problems:
        print(f"policy: {p}", file=sys.stderr)
    print(f"policy: {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
