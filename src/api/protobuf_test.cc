#include "api/protobuf.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "api/codec.h"
#include "api/types.h"

namespace kubepp::api {
namespace {

// Bodies kubectl 1.33 sent (Content-Type: application/vnd.kubernetes.protobuf), captured with a
// listener that saved the POST bodies of:
//   kubectl create configmap x --from-literal=a=1
constexpr std::string_view kKubectlConfigMapHex =
    "6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a017812001a0022002a0032003800420012060a0161"
    "12"
    "01311a002200";
//   kubectl create deployment web --image=busybox --replicas=3
constexpr std::string_view kKubectlDeploymentHex =
    "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412af010a1f0a0377656212001a0022002a003200"
    "38"
    "0042005a0a0a036170701203776562127e0803120c0a0a0a0361707012037765621a640a1c0a0012001a0022002a00"
    "32"
    "00380042005a0a0a036170701203776562124412260a0762757379626f78120762757379626f782a0042006a007200"
    "80"
    "0100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a0028003800"
    "1a"
    "0c0800100018002000280038001a002200";
//   kubectl create secret generic s --from-literal=p=hunter2
constexpr std::string_view kKubectlSecretHex =
    "6b3873000a0c0a027631120653656372657412230a110a017312001a0022002a00320038004200120c0a0170120768"
    "75"
    "6e746572321a001a002200";

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

template <typename T>
T FromJsonText(std::string_view text) {
  auto v = ParseJsonText(text);
  EXPECT_TRUE(v.IsOk()) << v.status().ToString();
  T obj;
  std::vector<std::string> unknown;
  kubepp::Status s = FromJson(*v, obj, &unknown);
  EXPECT_TRUE(s.IsOk()) << s.ToString();
  EXPECT_TRUE(unknown.empty()) << unknown.front();
  return obj;
}

// Encodes and decodes `obj`, checking the result equals it (apiVersion/kind ride the envelope).
template <typename T>
void ExpectRoundTrip(const T& obj) {
  std::string body = ToProtobufBody(obj);
  T back;
  kubepp::Status s = FromProtobufBody(body, back);
  ASSERT_TRUE(s.IsOk()) << s.ToString();
  EXPECT_EQ(ToJsonString(back), ToJsonString(obj));
  EXPECT_TRUE(back == obj);
  // Decoding the message alone leaves apiVersion/kind to the envelope.
  T bare;
  ASSERT_TRUE(FromProtobuf(ToProtobuf(obj), bare).IsOk());
  EXPECT_TRUE(bare.kind.empty());
  bare.apiVersion = obj.apiVersion;
  bare.kind = obj.kind;
  EXPECT_TRUE(bare == obj);
}

TEST(ProtobufTest, RoundTripsPod) {
  ExpectRoundTrip(FromJsonText<Pod>(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop", "uid": "u-1", "resourceVersion": "42",
      "generation": 3, "creationTimestamp": "2024-01-02T03:04:05Z",
      "deletionGracePeriodSeconds": -1,
      "labels": {"app": "web", "tier": ""}, "annotations": {"a": "b"},
      "finalizers": ["x", ""],
      "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
        "uid": "u-2", "controller": true, "blockOwnerDeletion": false}],
      "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
        "time": "2024-01-02T03:04:05Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]},
    "spec": {
      "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"],
        "ports": [{"containerPort": 8080, "protocol": "TCP", "name": "http"}],
        "env": [{"name": "A", "value": "1"},
                {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
        "envFrom": [{"configMapRef": {"name": "cm"}}],
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1"}},
        "livenessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5},
        "readinessProbe": {"exec": {"command": ["true"]}, "failureThreshold": 2},
        "startupProbe": {"tcpSocket": {"port": 8080}},
        "lifecycle": {"preStop": {"sleep": {"seconds": 3}}},
        "securityContext": {"runAsUser": 0, "privileged": false,
          "capabilities": {"add": ["NET_ADMIN"]}},
        "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": true}]}],
      "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
                  {"name": "cfg", "configMap": {"name": "cm", "defaultMode": 420,
                    "items": [{"key": "k", "path": "p"}]}},
                  {"name": "sec", "secret": {"secretName": "s", "optional": true}},
                  {"name": "host", "hostPath": {"path": "/var", "type": "Directory"}}],
      "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
      "nodeSelector": {"disk": "ssd"},
      "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule",
        "tolerationSeconds": 60}],
      "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In",
          "values": ["a", "b"]}]}]}}}},
    "status": {"phase": "Running", "podIP": "10.0.0.5", "startTime": "2024-01-02T03:04:06Z",
      "conditions": [{"type": "Ready", "status": "True",
        "lastTransitionTime": "2024-01-02T03:04:07Z"}],
      "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0, "image": "busybox",
        "imageID": "", "started": true,
        "state": {"running": {"startedAt": "2024-01-02T03:04:08Z"}}}]}
  })"));
}

TEST(ProtobufTest, RoundTripsDeployment) {
  ExpectRoundTrip(FromJsonText<Deployment>(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
      "selector": {"matchLabels": {"app": "web"},
        "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]},
      "strategy": {"type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
      "template": {"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "busybox", "image": "busybox"}]}}},
    "status": {"replicas": 3, "readyReplicas": 2, "observedGeneration": 7,
      "conditions": [{"type": "Available", "status": "True",
        "lastUpdateTime": "2024-05-06T07:08:09Z", "lastTransitionTime": "2024-05-06T07:08:09Z",
        "reason": "MinimumReplicasAvailable"}]}
  })"));
}

TEST(ProtobufTest, RoundTripsSecretBytes) {
  Secret secret = FromJsonText<Secret>(R"({
    "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
    "data": {"p": "aHVudGVyMg==", "bin": "AP8Q", "one": "YQ==", "two": "YWI=", "empty": ""},
    "stringData": {"x": "y"}, "immutable": true
  })");
  ExpectRoundTrip(secret);
  // The wire holds the raw bytes, not the base64 text.
  std::string raw = ToProtobuf(secret);
  EXPECT_NE(raw.find("hunter2"), std::string::npos);
  EXPECT_NE(raw.find(std::string("\x00\xff\x10", 3)), std::string::npos);
}

TEST(ProtobufTest, RoundTripsServiceIntOrString) {
  ExpectRoundTrip(FromJsonText<Service>(R"({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    "spec": {"type": "NodePort", "selector": {"app": "web"}, "clusterIP": "10.96.0.10",
      "clusterIPs": ["10.96.0.10"], "ipFamilies": ["IPv4"],
      "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080},
                {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"},
                {"name": "neg", "port": 1, "targetPort": -5}],
      "sessionAffinity": "ClientIP",
      "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}}},
    "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
  })"));
}

TEST(ProtobufTest, RoundTripsNodeQuantities) {
  ExpectRoundTrip(FromJsonText<Node>(R"({
    "apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
    "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"],
      "taints": [{"key": "k", "value": "v", "effect": "NoExecute",
        "timeAdded": "2024-01-02T03:04:05Z"}], "unschedulable": true},
    "status": {"capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
      "allocatable": {"cpu": "3800m", "memory": "15Gi", "ephemeral-storage": "100G"},
      "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
      "conditions": [{"type": "Ready", "status": "True",
        "lastHeartbeatTime": "2024-01-02T03:04:05Z"}],
      "nodeInfo": {"kubeletVersion": "v1.32.0", "architecture": "amd64", "bootID": "",
        "containerRuntimeVersion": "containerd://2", "kernelVersion": "6", "kubeProxyVersion": "",
        "machineID": "m", "operatingSystem": "linux", "osImage": "x", "systemUUID": "s"},
      "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}}
  })"));
}

TEST(ProtobufTest, RoundTripsEventMicroTime) {
  ExpectRoundTrip(FromJsonText<Event>(R"({
    "apiVersion": "v1", "kind": "Event",
    "metadata": {"name": "e", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default", "uid": "u"},
    "reason": "Started", "message": "Started container", "type": "Normal", "count": 2,
    "firstTimestamp": "2024-01-02T03:04:05Z", "lastTimestamp": "1970-01-01T00:00:00Z",
    "eventTime": "2024-01-02T03:04:05.123456Z", "reportingComponent": "kubelet",
    "series": {"count": 3, "lastObservedTime": "1969-12-31T23:59:59.000001Z"},
    "source": {"component": "kubelet", "host": "n1"}
  })"));
  ExpectRoundTrip(FromJsonText<EventsEvent>(R"({
    "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
    "eventTime": "2024-01-02T03:04:05.000000Z", "reason": "R", "action": "A",
    "regarding": {"kind": "Pod", "name": "p"}, "reportingController": "c",
    "reportingInstance": "i", "deprecatedFirstTimestamp": "2024-01-02T03:04:05Z"
  })"));
}

TEST(ProtobufTest, RoundTripsConfigMapAndOthers) {
  ExpectRoundTrip(FromJsonText<ConfigMap>(R"({
    "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
    "data": {"a": "1", "b": "", "multi": "line1\nline2"}, "binaryData": {"bin": "AAEC"}
  })"));
  ExpectRoundTrip(FromJsonText<ControllerRevision>(R"({
    "apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"},
    "revision": 2, "data": {"spec": {"template": {"x": [1, "two", null, true]}}}
  })"));
  ExpectRoundTrip(FromJsonText<APIResourceList>(R"({
    "apiVersion": "v1", "kind": "APIResourceList", "groupVersion": "v1",
    "resources": [{"name": "pods", "singularName": "pod", "namespaced": true, "kind": "Pod",
      "verbs": ["create", "get", "list"], "shortNames": ["po"]}]
  })"));
  ExpectRoundTrip(FromJsonText<PersistentVolume>(R"({
    "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"},
    "spec": {"capacity": {"storage": "10Gi"}, "hostPath": {"path": "/mnt"},
      "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Retain"}
  })"));
}

TEST(ProtobufTest, EmbeddedStructsUseUpstreamNesting) {
  // Probe.httpGet travels as handler(1) -> httpGet(2), as upstream's ProbeHandler embedding.
  Probe probe;
  probe.httpGet.emplace().path = "/x";
  probe.periodSeconds = 7;
  std::string raw = ToProtobuf(probe);
  std::string inner_http;
  inner_http += '\x0a';  // path = 1
  inner_http += '\x02';
  inner_http += "/x";
  inner_http += std::string("\x12\x06\x08\x00\x10\x00\x1a\x00", 8);  // port: always written
  std::string handler = std::string("\x12") + static_cast<char>(inner_http.size()) + inner_http;
  std::string want = std::string("\x20\x07") + "\x0a" + static_cast<char>(handler.size()) + handler;
  EXPECT_EQ(raw, want);
}

TEST(ProtobufTest, DecodesKubectlConfigMap) {
  std::string body = FromHex(kKubectlConfigMapHex);
  auto env = ParseProtobufEnvelope(body);
  ASSERT_TRUE(env.IsOk()) << env.status().ToString();
  EXPECT_EQ(env->api_version, "v1");
  EXPECT_EQ(env->kind, "ConfigMap");
  ConfigMap cm;
  ASSERT_TRUE(FromProtobufBody(body, cm).IsOk());
  EXPECT_EQ(cm.apiVersion, "v1");
  EXPECT_EQ(cm.kind, "ConfigMap");
  EXPECT_EQ(cm.metadata.name, "x");
  EXPECT_TRUE(cm.metadata.namespace_.empty());
  EXPECT_TRUE(cm.metadata.creationTimestamp.empty());  // Go's zero time: an empty message
  EXPECT_EQ(cm.data, (std::map<std::string, std::string>{{"a", "1"}}));
  EXPECT_FALSE(cm.immutable.has_value());

  auto json = ProtobufBodyToJson(body);
  ASSERT_TRUE(json.IsOk()) << json.status().ToString();
  // Go writes its non-pointer scalars even when zero (generation: 0); like upstream's own
  // protobuf decoding, they arrive as set.
  EXPECT_EQ(boost::json::serialize(*json),
            R"({"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap",)"
            R"("metadata":{"generation":0,"name":"x"}})");
}

TEST(ProtobufTest, DecodesKubectlDeployment) {
  Deployment d;
  kubepp::Status s = FromProtobufBody(FromHex(kKubectlDeploymentHex), d);
  ASSERT_TRUE(s.IsOk()) << s.ToString();
  EXPECT_EQ(d.apiVersion, "apps/v1");
  EXPECT_EQ(d.kind, "Deployment");
  EXPECT_EQ(d.metadata.name, "web");
  EXPECT_EQ(d.metadata.labels, (std::map<std::string, std::string>{{"app", "web"}}));
  EXPECT_EQ(d.spec.replicas, 3);
  EXPECT_EQ(d.spec.selector.matchLabels, d.metadata.labels);
  EXPECT_EQ(d.spec.template_.metadata.labels, d.metadata.labels);
  ASSERT_EQ(d.spec.template_.spec.containers.size(), 1U);
  EXPECT_EQ(d.spec.template_.spec.containers[0].name, "busybox");
  EXPECT_EQ(d.spec.template_.spec.containers[0].image, "busybox");
  EXPECT_TRUE(d.spec.template_.spec.containers[0].command.empty());
  ASSERT_TRUE(d.spec.strategy.has_value());
  EXPECT_TRUE(d.spec.strategy->type.empty());
  EXPECT_FALSE(d.spec.paused.value_or(true));  // Go writes every bool
  EXPECT_EQ(d.status.replicas, 0);

  auto json = ProtobufBodyToJson(FromHex(kKubectlDeploymentHex));
  ASSERT_TRUE(json.IsOk()) << json.status().ToString();
  EXPECT_EQ(json->at("spec").at("replicas"), 3);
  EXPECT_EQ(json->at("apiVersion"), "apps/v1");
}

TEST(ProtobufTest, DecodesKubectlSecret) {
  Secret secret;
  kubepp::Status s = FromProtobufBody(FromHex(kKubectlSecretHex), secret);
  ASSERT_TRUE(s.IsOk()) << s.ToString();
  EXPECT_EQ(secret.metadata.name, "s");
  EXPECT_EQ(secret.data, (std::map<std::string, std::string>{{"p", "aHVudGVyMg=="}}));
  EXPECT_TRUE(secret.type.empty());
}

TEST(ProtobufTest, RejectsEnvelopeProblems) {
  EXPECT_FALSE(ParseProtobufEnvelope("").IsOk());
  EXPECT_FALSE(ParseProtobufEnvelope("{\"kind\":\"Pod\"}").IsOk());
  std::string gz = MakeProtobufEnvelope("v1", "ConfigMap", "");
  gz.resize(gz.size() - 4);
  gz += std::string("\x1a\x04gzip", 6);
  auto env = ParseProtobufEnvelope(gz);
  ASSERT_FALSE(env.IsOk());
  EXPECT_NE(env.status().Message().find("contentEncoding"), std::string::npos);

  ConfigMap cm;
  kubepp::Status s = FromProtobufBody(MakeProtobufEnvelope("v1", "Secret", ""), cm);
  EXPECT_EQ(s.Code(), StatusCode::kBadRequest);
  s = FromProtobufBody(MakeProtobufEnvelope("apps/v1", "ConfigMap", ""), cm);
  EXPECT_EQ(s.Code(), StatusCode::kBadRequest);
  auto json = ProtobufBodyToJson(MakeProtobufEnvelope("v1", "Bogus", ""));
  ASSERT_FALSE(json.IsOk());
  EXPECT_NE(json.status().Message().find("no kind \"Bogus\""), std::string::npos);
}

TEST(ProtobufTest, RejectsMalformedMessages) {
  ConfigMap cm;
  // immutable (4) is a bool: a length-delimited value there is a wrong wire type.
  kubepp::Status s = FromProtobuf(std::string("\x22\x01x", 3), cm);
  EXPECT_EQ(s.Code(), StatusCode::kBadRequest);
  EXPECT_EQ(s.Message(), "protobuf at immutable: wire type 2 where a varint value belongs");
  // metadata.name claims 5 bytes but only 1 follows.
  s = FromProtobuf(std::string("\x0a\x03\x0a\x05x", 5), cm);
  EXPECT_EQ(s.Code(), StatusCode::kBadRequest);
  EXPECT_NE(s.Message().find("protobuf at metadata: length 5 of field 1"), std::string::npos)
      << s.Message();
  // A varint that never ends, an over-long varint, field number 0, a group.
  EXPECT_FALSE(FromProtobuf(std::string("\x20\x80", 2), cm).IsOk());
  EXPECT_FALSE(FromProtobuf(std::string("\x20") + std::string(11, '\xff') + "\x01", cm).IsOk());
  EXPECT_FALSE(FromProtobuf(std::string("\x00\x01", 2), cm).IsOk());
  EXPECT_FALSE(FromProtobuf(std::string("\x0b\x0c", 2), cm).IsOk());
  // A time payload out of range, and nanos out of range.
  Event ev;
  s = FromProtobuf(std::string("\x0a\x0c\x42\x0a\x08\x80\x80\x80\x80\x80\x80\x80\x80\x40", 14), ev);
  EXPECT_EQ(s.Code(), StatusCode::kBadRequest) << s.ToString();
  s = FromProtobuf(std::string("\x0a\x08\x42\x06\x10\x80\x94\xeb\xdc\x03", 10), ev);
  EXPECT_EQ(s.Code(), StatusCode::kBadRequest) << s.ToString();
  // Raw JSON that is not JSON.
  ControllerRevision rev;
  s = FromProtobuf(std::string("\x12\x04\x0a\x02{x", 6), rev);
  EXPECT_EQ(s.Code(), StatusCode::kBadRequest);
  EXPECT_NE(s.Message().find("protobuf at data: raw JSON"), std::string::npos) << s.Message();
}

TEST(ProtobufTest, SkipsUnknownFieldsAndAcceptsPackedScalars) {
  ConfigMap cm;
  // Unknown fields 15 (varint), 16 (bytes), 17 (fixed32), 18 (fixed64), then immutable=1.
  std::string raw(
      "\x78\x05\x82\x01\x02hi\x8d\x01\x01\x02\x03\x04\x91\x01\x01\x02\x03\x04\x05\x06"
      "\x07\x08\x20\x01",
      25);
  kubepp::Status s = FromProtobuf(raw, cm);
  ASSERT_TRUE(s.IsOk()) << s.ToString();
  EXPECT_EQ(cm.immutable, true);
  // ContainerStateTerminated-free check of packed ints: PodSecurityContext.supplementalGroups (4).
  PodSecurityContext psc;
  ASSERT_TRUE(FromProtobuf(std::string("\x22\x03\x01\x02\x03\x20\x04", 7), psc).IsOk());
  EXPECT_EQ(psc.supplementalGroups, (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(ProtobufTest, RefusesNestingDeeperThanTheLimit) {
  Pod pod = FromJsonText<Pod>(R"({"spec": {"containers": [{"name": "c"}]}})");
  std::string raw = ToProtobuf(pod);
  Pod back;
  ASSERT_TRUE(protobuf_internal::DecodeMessage(raw, back, kProtobufMaxDepth - 3).IsOk());
  kubepp::Status s = protobuf_internal::DecodeMessage(raw, back, kProtobufMaxDepth - 1);
  EXPECT_EQ(s.Code(), StatusCode::kBadRequest);
  EXPECT_NE(s.Message().find("nested deeper than 100"), std::string::npos) << s.Message();
}

// Lengths at which a prefix of `body` is itself a complete envelope (field boundaries).
std::set<size_t> EnvelopeBoundaries(std::string_view body) {
  std::set<size_t> out{kProtobufMagic.size()};
  size_t pos = kProtobufMagic.size();
  while (pos < body.size()) {
    pos += 1;  // tag (single byte for fields 1-4)
    size_t len = 0;
    int shift = 0;
    while ((static_cast<uint8_t>(body[pos]) & 0x80U) != 0) {
      len |= (static_cast<uint8_t>(body[pos++]) & 0x7fU) << shift;
      shift += 7;
    }
    len |= static_cast<size_t>(static_cast<uint8_t>(body[pos++])) << shift;
    pos += len;
    out.insert(pos);
  }
  return out;
}

template <typename T>
void ExpectTruncationsFail(std::string_view hex) {
  std::string body = FromHex(hex);
  std::set<size_t> boundaries = EnvelopeBoundaries(body);
  for (size_t n = 0; n < body.size(); ++n) {
    T obj;
    kubepp::Status s = FromProtobufBody(std::string_view(body).substr(0, n), obj);
    if (boundaries.count(n) != 0) continue;  // a shorter but complete envelope
    EXPECT_EQ(s.Code(), StatusCode::kBadRequest) << "prefix of " << n << " bytes";
    EXPECT_FALSE(ProtobufBodyToJson(std::string_view(body).substr(0, n)).IsOk()) << n;
  }
  // Truncations of the object's own message: never a crash, and either an error or a prefix.
  auto env = ParseProtobufEnvelope(body);
  ASSERT_TRUE(env.IsOk());
  for (size_t n = 0; n < env->raw.size(); ++n) {
    T obj;
    (void)FromProtobuf(std::string_view(env->raw).substr(0, n), obj);
  }
}

TEST(ProtobufTest, TruncatedKubectlBodiesFail) {
  ExpectTruncationsFail<ConfigMap>(kKubectlConfigMapHex);
  ExpectTruncationsFail<Deployment>(kKubectlDeploymentHex);
  ExpectTruncationsFail<Secret>(kKubectlSecretHex);
}

TEST(ProtobufTest, MutatedBodiesNeverCrash) {
  std::mt19937 rng(12345);
  for (std::string_view hex : {kKubectlConfigMapHex, kKubectlDeploymentHex, kKubectlSecretHex}) {
    std::string body = FromHex(hex);
    for (int round = 0; round < 3000; ++round) {
      std::string mutated = body;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips; ++i) {
        size_t at = 4 + rng() % (mutated.size() - 4);
        mutated[at] = static_cast<char>(rng() & 0xffU);
      }
      auto json = ProtobufBodyToJson(mutated);
      if (!json.IsOk()) {
        EXPECT_EQ(json.status().Code(), StatusCode::kBadRequest);
      }
    }
  }
}

}  // namespace
}  // namespace kubepp::api
