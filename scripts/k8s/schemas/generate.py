#!/usr/bin/env python3
"""Turns Kubernetes' OpenAPI v2 spec and CustomResourceDefinitions into the standalone, strict JSON
schemas that `kubeconform -strict -schema-location 'scripts/k8s/schemas/json/{{ .ResourceKind }}{{ .KindSuffix }}.json'`
reads: every $ref inlined, `additionalProperties: false` on every object that lists its properties
(unless it preserves unknown fields), int-or-string and quantities accept both strings and numbers,
and null is accepted wherever Kubernetes accepts an empty value.

Only the kinds this project deploys are written (see KINDS and the CRD arguments), so the folder stays
small. Two compositions make validation stricter than the CRDs alone:
  * every custom resource's `metadata` is Kubernetes' ObjectMeta schema (CRDs only say `type: object`);
  * JobSink's `spec.job` is the batch/v1 Job schema (the CRD preserves unknown fields there).

Usage (scripts/k8s/schemas/regenerate.sh passes the inputs):
  generate.py --swagger <k8s api/openapi-spec/swagger.json> --out <dir> [--crd <file.yaml>]...
Needs PyYAML only when --crd is given.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys

# (apiVersion, kind) of the built-in kinds the manifests use.
KINDS = [
    ("v1", "Namespace"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("v1", "PersistentVolumeClaim"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "Job"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
]

INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
QUANTITY = {"oneOf": [{"type": "string"}, {"type": "number"}]}


def file_name(api_version: str, kind: str) -> str:
    """kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json`."""
    parts = api_version.split("/")
    suffix = "-" + parts[0].split(".")[0].lower()
    if len(parts) > 1:
        suffix += "-" + parts[1].lower()
    return f"{kind.lower()}{suffix}.json"


def keep(keyword: str) -> bool:
    """Drop what does not validate (descriptions, x-kubernetes-* hints except preserve-unknown-fields)."""
    if keyword == "x-kubernetes-preserve-unknown-fields":
        return True
    return keyword != "description" and not keyword.startswith("x-kubernetes-")


def nullable(schema: dict) -> dict:
    """Accept null where a type is given (`field:` with no value is valid in a manifest)."""
    t = schema.get("type")
    if isinstance(t, str):
        schema["type"] = [t, "null"]
    return schema


class Swagger:
    def __init__(self, path: str):
        with open(path, encoding="utf-8") as f:
            self.definitions: dict = json.load(f)["definitions"]

    def by_gvk(self, api_version: str, kind: str) -> str:
        group, _, version = api_version.rpartition("/")
        for name, definition in self.definitions.items():
            for gvk in definition.get("x-kubernetes-group-version-kind", []):
                if gvk["group"] == group and gvk["version"] == version and gvk["kind"] == kind:
                    return name
        raise SystemExit(f"{api_version} {kind} not in the OpenAPI spec")

    def expand(self, name: str, stack: tuple = ()) -> dict:
        if name == "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
            return copy.deepcopy(INT_OR_STRING)
        if name == "io.k8s.apimachinery.pkg.api.resource.Quantity":
            return copy.deepcopy(QUANTITY)
        if name in stack:  # recursive types (none in the kinds above); keep them open
            return {}
        return self.walk(copy.deepcopy(self.definitions[name]), stack + (name,))

    def walk(self, schema: dict, stack: tuple) -> dict:
        if "$ref" in schema:
            return self.expand(schema["$ref"].split("/")[-1], stack)
        if schema.get("format") == "int-or-string":
            return copy.deepcopy(INT_OR_STRING)
        out = {k: v for k, v in schema.items() if k not in ("properties", "items", "additionalProperties") and keep(k)}
        if "properties" in schema:
            out["properties"] = {k: self.walk(v, stack) for k, v in schema["properties"].items()}
            out["additionalProperties"] = False
        if isinstance(schema.get("items"), dict):
            out["items"] = self.walk(schema["items"], stack)
        if isinstance(schema.get("additionalProperties"), dict):
            out["additionalProperties"] = self.walk(schema["additionalProperties"], stack)
        return nullable(out)

    def kind_schema(self, api_version: str, kind: str) -> dict:
        schema = self.expand(self.by_gvk(api_version, kind))
        schema["properties"]["apiVersion"] = {"type": "string", "enum": [api_version]}
        schema["properties"]["kind"] = {"type": "string", "enum": [kind]}
        schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind"})
        schema["type"] = "object"
        return schema


def strict_crd(schema: dict) -> dict:
    """CRD openAPIV3Schema → strict JSON schema (same rules as the built-in kinds)."""
    if schema.get("x-kubernetes-int-or-string"):
        return copy.deepcopy(INT_OR_STRING)
    out = {
        k: v
        for k, v in schema.items()
        if k not in ("properties", "items", "additionalProperties", "nullable", "oneOf", "anyOf", "allOf") and keep(k)
    }
    preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in schema:
        out["properties"] = {k: strict_crd(v) for k, v in schema["properties"].items()}
        if not preserve and "additionalProperties" not in schema:
            out["additionalProperties"] = False
    if isinstance(schema.get("items"), dict):
        out["items"] = strict_crd(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = strict_crd(schema["additionalProperties"])
    elif "additionalProperties" in schema:
        out["additionalProperties"] = schema["additionalProperties"]
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            out[key] = [strict_crd(s) for s in schema[key]]
    return nullable(out)


def crd_schemas(path: str, swagger: Swagger) -> list[tuple[str, dict]]:
    import yaml  # only needed for CRDs

    object_meta = swagger.expand("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
    job = swagger.kind_schema("batch/v1", "Job")
    job["required"] = []
    job["properties"].pop("status", None)
    results = []
    with open(path, encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            group = doc["spec"]["group"]
            kind = doc["spec"]["names"]["kind"]
            for version in doc["spec"]["versions"]:
                if not version.get("served", True):
                    continue
                api_version = f"{group}/{version['name']}"
                schema = strict_crd(version["schema"]["openAPIV3Schema"])
                schema["type"] = "object"
                props = schema.setdefault("properties", {})
                props["apiVersion"] = {"type": "string", "enum": [api_version]}
                props["kind"] = {"type": "string", "enum": [kind]}
                props["metadata"] = copy.deepcopy(object_meta)
                schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata"})
                if (group, kind) == ("sinks.knative.dev", "JobSink"):
                    props["spec"]["properties"]["job"] = copy.deepcopy(job)
                schema.pop("x-kubernetes-preserve-unknown-fields", None)
                schema["additionalProperties"] = False
                results.append((file_name(api_version, kind), schema))
    if not results:
        raise SystemExit(f"{path}: no CustomResourceDefinition found")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--swagger", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--crd", action="append", default=[])
    args = parser.parse_args()
    swagger = Swagger(args.swagger)
    os.makedirs(args.out, exist_ok=True)
    outputs = [(file_name(a, k), swagger.kind_schema(a, k)) for a, k in KINDS]
    for path in args.crd:
        outputs.extend(crd_schemas(path, swagger))
    for name, schema in outputs:
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(schema, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")
        print(f"wrote {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
