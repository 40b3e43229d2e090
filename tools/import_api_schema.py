#!/usr/bin/env python3
"""One-time importer: builds kubepp's API schema (src/api/schema/types.json) from the Kubernetes
v1.32 OpenAPI spec as published in the models of the npm package @kubernetes/client-node 1.1.x
(generated from the upstream v1.32.0 spec: names, JSON names, types, formats, required, docs).

Not run by the build. Rerun to move to a newer Kubernetes API level:
    mkdir /tmp/kcn && cd /tmp/kcn && npm pack @kubernetes/client-node@1.1.2 && tar xzf *.tgz
    tools/import_api_schema.py /tmp/kcn/package/dist/gen/models > src/api/schema/types.json

What upstream's generated models do not carry (patch strategies and merge keys, which string
maps hold Quantities, which package a nested type lives in) comes from our own tables below;
protobuf field numbers come from src/api/schema/proto_numbers.json (tools/add_proto_numbers.py).
"""
import json
import os
import re
import sys

# Kinds kubepp serves: model name -> (package for OpenAPI names, group, version, kind).
KINDS = {
    # core/v1
    "V1Namespace": ("io.k8s.api.core.v1", "", "v1", "Namespace"),
    "V1Pod": ("io.k8s.api.core.v1", "", "v1", "Pod"),
    "V1Node": ("io.k8s.api.core.v1", "", "v1", "Node"),
    "V1Service": ("io.k8s.api.core.v1", "", "v1", "Service"),
    "V1Endpoints": ("io.k8s.api.core.v1", "", "v1", "Endpoints"),
    "V1ConfigMap": ("io.k8s.api.core.v1", "", "v1", "ConfigMap"),
    "V1Secret": ("io.k8s.api.core.v1", "", "v1", "Secret"),
    "CoreV1Event": ("io.k8s.api.core.v1", "", "v1", "Event"),
    "V1ServiceAccount": ("io.k8s.api.core.v1", "", "v1", "ServiceAccount"),
    "V1LimitRange": ("io.k8s.api.core.v1", "", "v1", "LimitRange"),
    "V1ResourceQuota": ("io.k8s.api.core.v1", "", "v1", "ResourceQuota"),
    "V1PersistentVolume": ("io.k8s.api.core.v1", "", "v1", "PersistentVolume"),
    "V1PersistentVolumeClaim": ("io.k8s.api.core.v1", "", "v1", "PersistentVolumeClaim"),
    "V1PodTemplate": ("io.k8s.api.core.v1", "", "v1", "PodTemplate"),
    "V1ReplicationController": ("io.k8s.api.core.v1", "", "v1", "ReplicationController"),
    "V1Binding": ("io.k8s.api.core.v1", "", "v1", "Binding"),
    # apps/v1
    "V1Deployment": ("io.k8s.api.apps.v1", "apps", "v1", "Deployment"),
    "V1ReplicaSet": ("io.k8s.api.apps.v1", "apps", "v1", "ReplicaSet"),
    "V1StatefulSet": ("io.k8s.api.apps.v1", "apps", "v1", "StatefulSet"),
    "V1DaemonSet": ("io.k8s.api.apps.v1", "apps", "v1", "DaemonSet"),
    "V1ControllerRevision": ("io.k8s.api.apps.v1", "apps", "v1", "ControllerRevision"),
    # autoscaling/v1
    "V1Scale": ("io.k8s.api.autoscaling.v1", "autoscaling", "v1", "Scale"),
    "V1HorizontalPodAutoscaler": ("io.k8s.api.autoscaling.v1", "autoscaling", "v1",
                                  "HorizontalPodAutoscaler"),
    # batch/v1
    "V1Job": ("io.k8s.api.batch.v1", "batch", "v1", "Job"),
    "V1CronJob": ("io.k8s.api.batch.v1", "batch", "v1", "CronJob"),
    # coordination, discovery, events, scheduling, policy, networking
    "V1Lease": ("io.k8s.api.coordination.v1", "coordination.k8s.io", "v1", "Lease"),
    "V1EndpointSlice": ("io.k8s.api.discovery.v1", "discovery.k8s.io", "v1", "EndpointSlice"),
    "EventsV1Event": ("io.k8s.api.events.v1", "events.k8s.io", "v1", "Event"),
    "V1PriorityClass": ("io.k8s.api.scheduling.v1", "scheduling.k8s.io", "v1", "PriorityClass"),
    "V1PodDisruptionBudget": ("io.k8s.api.policy.v1", "policy", "v1", "PodDisruptionBudget"),
    "V1Eviction": ("io.k8s.api.policy.v1", "policy", "v1", "Eviction"),
    "V1NetworkPolicy": ("io.k8s.api.networking.v1", "networking.k8s.io", "v1", "NetworkPolicy"),
    "V1Ingress": ("io.k8s.api.networking.v1", "networking.k8s.io", "v1", "Ingress"),
    "V1IngressClass": ("io.k8s.api.networking.v1", "networking.k8s.io", "v1", "IngressClass"),
    # meta.k8s.io/v1 objects that travel on their own
    "V1Status": ("io.k8s.apimachinery.pkg.apis.meta.v1", "meta.k8s.io", "v1", "Status"),
    "V1DeleteOptions": ("io.k8s.apimachinery.pkg.apis.meta.v1", "meta.k8s.io", "v1",
                        "DeleteOptions"),
    "V1APIResourceList": ("io.k8s.apimachinery.pkg.apis.meta.v1", "", "v1", "APIResourceList"),
    "V1APIGroupList": ("io.k8s.apimachinery.pkg.apis.meta.v1", "", "v1", "APIGroupList"),
    "V1APIGroup": ("io.k8s.apimachinery.pkg.apis.meta.v1", "", "v1", "APIGroup"),
    "V1APIVersions": ("io.k8s.apimachinery.pkg.apis.meta.v1", "", "v1", "APIVersions"),
}
META_PACKAGE = "io.k8s.apimachinery.pkg.apis.meta.v1"
META_TYPES = {
    "V1ObjectMeta", "V1ListMeta", "V1LabelSelector", "V1LabelSelectorRequirement",
    "V1OwnerReference", "V1ManagedFieldsEntry", "V1StatusDetails", "V1StatusCause", "V1Condition",
    "V1Preconditions", "V1APIResource", "V1GroupVersionForDiscovery",
    "V1ServerAddressByClientCIDR",
}

# C++ names where dropping the version prefix would collide.
RENAMES = {
    "CoreV1Event": "Event", "CoreV1EventList": "EventList", "CoreV1EventSeries": "EventSeries",
    "CoreV1EndpointPort": "EndpointPort",
    "EventsV1Event": "EventsEvent", "EventsV1EventList": "EventsEventList",
    "EventsV1EventSeries": "EventsEventSeries",
    "DiscoveryV1EndpointPort": "DiscoveryEndpointPort",
    # metav1.Status would shadow kubepp::Status (our error type) inside kubepp::api.
    "V1Status": "MetaStatus", "V1StatusDetails": "MetaStatusDetails",
    "V1StatusCause": "MetaStatusCause",
}

# Strategic merge patch annotations (upstream's patchStrategy / patchMergeKey struct tags):
# (type, field) -> (strategy, merge key or "").
PATCH = {
    ("ObjectMeta", "finalizers"): ("merge", ""),
    ("ObjectMeta", "ownerReferences"): ("merge", "uid"),
    ("PodSpec", "containers"): ("merge", "name"),
    ("PodSpec", "initContainers"): ("merge", "name"),
    ("PodSpec", "ephemeralContainers"): ("merge", "name"),
    ("PodSpec", "volumes"): ("merge,retainKeys", "name"),
    ("PodSpec", "imagePullSecrets"): ("merge", "name"),
    ("PodSpec", "hostAliases"): ("merge", "ip"),
    ("PodSpec", "topologySpreadConstraints"): ("merge", "topologyKey"),
    ("PodSpec", "schedulingGates"): ("merge", "name"),
    ("PodSpec", "resourceClaims"): ("merge,retainKeys", "name"),
    ("Container", "ports"): ("merge", "containerPort"),
    ("Container", "env"): ("merge", "name"),
    ("Container", "volumeMounts"): ("merge", "mountPath"),
    ("Container", "volumeDevices"): ("merge", "devicePath"),
    ("EphemeralContainer", "ports"): ("merge", "containerPort"),
    ("EphemeralContainer", "env"): ("merge", "name"),
    ("EphemeralContainer", "volumeMounts"): ("merge", "mountPath"),
    ("EphemeralContainer", "volumeDevices"): ("merge", "devicePath"),
    ("PodStatus", "conditions"): ("merge", "type"),
    ("PodStatus", "podIPs"): ("merge", "ip"),
    ("NodeStatus", "conditions"): ("merge", "type"),
    ("NodeStatus", "addresses"): ("merge", "type"),
    ("NodeSpec", "podCIDRs"): ("merge", ""),
    ("ServiceSpec", "ports"): ("merge", "port"),
    ("ServiceAccount", "secrets"): ("merge", "name"),
    ("NamespaceStatus", "conditions"): ("merge", "type"),
    ("PersistentVolumeClaimStatus", "conditions"): ("merge", "type"),
    ("DeploymentSpec", "strategy"): ("retainKeys", ""),
    ("DeploymentStatus", "conditions"): ("merge", "type"),
    ("ReplicaSetStatus", "conditions"): ("merge", "type"),
    ("StatefulSetStatus", "conditions"): ("merge", "type"),
    ("DaemonSetStatus", "conditions"): ("merge", "type"),
    ("ReplicationControllerStatus", "conditions"): ("merge", "type"),
    ("JobStatus", "conditions"): ("merge", "type"),
    ("PodDisruptionBudgetStatus", "conditions"): ("merge", "type"),
    ("ServiceStatus", "conditions"): ("merge", "type"),
    ("Volume", "*"): ("", ""),
}

# String maps and strings that hold resource.Quantity values.
QUANTITY_FIELDS = {
    ("ResourceRequirements", "limits"), ("ResourceRequirements", "requests"),
    ("NodeStatus", "capacity"), ("NodeStatus", "allocatable"),
    ("ResourceQuotaSpec", "hard"), ("ResourceQuotaStatus", "hard"),
    ("ResourceQuotaStatus", "used"), ("LimitRangeItem", "max"), ("LimitRangeItem", "min"),
    ("LimitRangeItem", "default"), ("LimitRangeItem", "defaultRequest"),
    ("LimitRangeItem", "maxLimitRequestRatio"), ("PersistentVolumeSpec", "capacity"),
    ("PersistentVolumeClaimStatus", "capacity"),
    ("PersistentVolumeClaimStatus", "allocatedResources"),
    ("VolumeResourceRequirements", "limits"), ("VolumeResourceRequirements", "requests"),
    ("EmptyDirVolumeSource", "sizeLimit"), ("PodSpec", "overhead"),
    ("ResourceFieldSelector", "divisor"), ("ContainerStatus", "allocatedResources"),
}


def cpp_name(model):
    if model in RENAMES:
        return RENAMES[model]
    m = re.match(r"^V\d+(.*)$", model)
    return m.group(1) if m else model


def parse_dts(path):
    """Class description, and per field: description and whether it is required."""
    text = open(path).read()
    cls = re.search(r"/\*\*\n\* (.*?)\n\*/\nexport declare class", text, re.S)
    fields = {}
    for m in re.finditer(r"    /\*\*\n    \* (.*?)\n    \*/\n    '([^']+)'(\??):", text, re.S):
        fields[m.group(2)] = (m.group(1).replace("\\'", "'").replace('\\"', '"'), m.group(3) != "?")
    # Fields with no description.
    for m in re.finditer(r"\n    '([^']+)'(\??):", text):
        fields.setdefault(m.group(1), ("", m.group(2) != "?"))
    desc = cls.group(1).replace("\\'", "'").replace('\\"', '"') if cls else ""
    return desc, fields


def parse_js(path):
    text = open(path).read()
    m = re.search(r"\.attributeTypeMap = (\[.*?\]);", text, re.S)
    return json.loads(m.group(1)) if m else []


def convert_type(t, fmt, owner, field):
    if (owner, field) in QUANTITY_FIELDS:
        if t.startswith("{"):
            return "{quantity}", []
        return "quantity", []
    if t == "string":
        return {"date-time": "time", "date-time-micro": "microtime", "byte": "bytes"}.get(
            fmt, "string"), []
    if t == "number":
        return {"int32": "int32", "int64": "int64", "double": "double"}.get(fmt, "double"), []
    if t == "boolean":
        return "bool", []
    if t in ("Date", "V1MicroTime"):
        return ("microtime" if fmt == "date-time-micro" else "time"), []
    if t == "IntOrString":
        return "int-or-string", []
    if t == "any" or t == "object":
        return "json", []
    m = re.match(r"^Array<(.*)>$", t)
    if m:
        inner, refs = convert_type(m.group(1), fmt, None, None)
        return "[" + inner + "]", refs
    m = re.match(r"^\{ \[key: string\]: (.*); \}$", t)
    if m:
        inner, refs = convert_type(m.group(1), fmt, None, None)
        return "{" + inner + "}", refs
    if re.match(r"^[A-Z]", t):
        return cpp_name(t), [t]
    raise SystemExit(f"unknown type {t} ({fmt}) in {owner}.{field}")


def main():
    models_dir = sys.argv[1]
    types = {}
    package_of = {}
    queue = list(KINDS.keys())
    for k, (pkg, *_rest) in KINDS.items():
        package_of[k] = pkg
        if os.path.exists(os.path.join(models_dir, k + "List.js")):
            queue.append(k + "List")
            package_of[k + "List"] = pkg
    seen = set()
    while queue:
        model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        js = os.path.join(models_dir, model + ".js")
        if not os.path.exists(js):
            raise SystemExit(f"no model {model}")
        desc, docs = parse_dts(os.path.join(models_dir, model + ".d.ts"))
        name = cpp_name(model)
        pkg = META_PACKAGE if model in META_TYPES else package_of.get(model, "io.k8s.api.core.v1")
        fields = []
        for attr in parse_js(js):
            fname = attr["baseName"]
            ftype, refs = convert_type(attr["type"], attr["format"], name, fname)
            for r in refs:
                package_of.setdefault(r, pkg)
                queue.append(r)
            fdesc, required = docs.get(fname, ("", False))
            f = {"name": fname, "type": ftype}
            if required:
                f["required"] = True
            strat = PATCH.get((name, fname))
            if strat:
                f["patchStrategy"] = strat[0]
                if strat[1]:
                    f["patchMergeKey"] = strat[1]
            if fdesc:
                f["description"] = fdesc
            fields.append(f)
        upstream = re.sub(r"^(CoreV\d+|EventsV\d+|DiscoveryV\d+|V\d+)", "", model)
        entry = {"package": pkg, "openapiName": pkg + "." + upstream}
        if model in KINDS:
            _, group, version, kind = KINDS[model]
            entry["gvk"] = {"group": group, "version": version, "kind": kind}
        elif model.endswith("List") and model[:-4] in KINDS:
            _, group, version, kind = KINDS[model[:-4]]
            entry["gvk"] = {"group": group, "version": version, "kind": kind + "List"}
        if desc:
            entry["description"] = desc
        entry["fields"] = fields
        types[name] = entry
    for key in PATCH:
        if key[1] != "*" and key[0] not in types:
            print(f"warning: patch annotation for unknown type {key[0]}", file=sys.stderr)
    # Protobuf field numbers (upstream generated.proto), from our table beside the schema.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import add_proto_numbers  # noqa: E402 (a sibling script)
    add_proto_numbers.apply(types)
    json.dump({"kubernetesVersion": "v1.32.0", "types": dict(sorted(types.items()))},
              sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
