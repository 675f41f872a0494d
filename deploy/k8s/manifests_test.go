package k8s_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"softswitch/internal/config"
)

// The schema check (docs/deployment.md): every document of every manifest
// is decoded strictly into the real Kubernetes API types of k8s.io/api, so
// an unknown or misspelt field, or a value of the wrong type, fails here
// as the API server would refuse it. kubeconform would do the same against
// JSON schemas, but it downloads them and this machine has no network.
// The operators' custom resources are decoded, as strictly, into the
// structs below, written from their documented schemas. Then the
// manifests are checked against each other and the ConfigMap's config
// goes through the switch's own loader.

const namespace = "softswitch"

// doc is one decoded manifest document.
type doc struct {
	file string
	obj  any
}

func (d doc) String() string { return d.file }

// newObject is the type a document of apiVersion and kind decodes into.
func newObject(apiVersion, kind string) (any, error) {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return &corev1.Namespace{}, nil
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "v1 Secret":
		return &corev1.Secret{}, nil
	case "v1 Service":
		return &corev1.Service{}, nil
	case "apps/v1 StatefulSet":
		return &appsv1.StatefulSet{}, nil
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, nil
	case "kafka.strimzi.io/v1beta2 Kafka":
		return &strimziKafka{}, nil
	case "kafka.strimzi.io/v1beta2 KafkaNodePool":
		return &strimziNodePool{}, nil
	case "clickhouse.altinity.com/v1 ClickHouseInstallation":
		return &clickHouseInstallation{}, nil
	}
	return nil, fmt.Errorf("no schema here for apiVersion %q kind %q", apiVersion, kind)
}

// decodeStrict decodes one YAML document: sigs.k8s.io/yaml converts it to
// JSON and decodes with unknown fields (and duplicate keys) an error.
func decodeStrict(b []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(b, &tm); err != nil {
		return nil, err
	}
	obj, err := newObject(tm.APIVersion, tm.Kind)
	if err != nil {
		return nil, err
	}
	if err := yaml.UnmarshalStrict(b, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	return obj, nil
}

// splitDocs splits a multi-document YAML stream, dropping empty documents.
func splitDocs(b []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var out [][]byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var v any
		if err := yaml.Unmarshal(d, &v); err != nil {
			return nil, err
		}
		if v != nil {
			out = append(out, d)
		}
	}
}

func loadAll(t *testing.T) []doc {
	t.Helper()
	files, _ := filepath.Glob("*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests")
	}
	var docs []doc
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := splitDocs(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i, p := range parts {
			obj, err := decodeStrict(p)
			if err != nil {
				t.Errorf("%s document %d: %v", f, i+1, err)
				continue
			}
			docs = append(docs, doc{f, obj})
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return docs
}

// only returns the single object of type T.
func only[T any](t *testing.T, docs []doc) *T {
	t.Helper()
	var found []*T
	for _, d := range docs {
		if o, ok := d.obj.(*T); ok {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of %T, want 1", len(found), *new(T))
	}
	return found[0]
}

func TestManifestsDecodeStrictly(t *testing.T) {
	docs := loadAll(t)
	kinds := map[string]int{}
	for _, d := range docs {
		kinds[fmt.Sprintf("%T", d.obj)]++
		// Every namespaced object in the one namespace.
		var m metav1.ObjectMeta
		switch o := d.obj.(type) {
		case *corev1.Namespace:
			if o.Name != namespace {
				t.Errorf("%s: namespace %q", d, o.Name)
			}
			continue
		case *corev1.ConfigMap:
			m = o.ObjectMeta
		case *corev1.Secret:
			m = o.ObjectMeta
		case *corev1.Service:
			m = o.ObjectMeta
		case *appsv1.StatefulSet:
			m = o.ObjectMeta
		case *policyv1.PodDisruptionBudget:
			m = o.ObjectMeta
		case *strimziKafka:
			m = o.ObjectMeta
		case *strimziNodePool:
			m = o.ObjectMeta
		case *clickHouseInstallation:
			m = o.ObjectMeta
		}
		if m.Namespace != namespace || m.Name == "" {
			t.Errorf("%s: %T %q in namespace %q, want %q", d, d.obj, m.Name, m.Namespace, namespace)
		}
	}
	for _, k := range []string{"*v1.Namespace", "*v1.ConfigMap", "*v1.Secret", "*v1.Service", "*v1.StatefulSet", "*v1.PodDisruptionBudget",
		"*k8s_test.strimziKafka", "*k8s_test.strimziNodePool", "*k8s_test.clickHouseInstallation"} {
		if kinds[k] != 1 {
			t.Errorf("%d of %s, want 1 (all: %v)", kinds[k], k, kinds)
		}
	}
}

// TestStrictDecodingRejects shows the schema check can fail: each mistake
// below would otherwise be dropped silently by a lenient decoder (or by
// kubectl apply without server-side validation).
func TestStrictDecodingRejects(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"misspelt pod field", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      hostNetwrok: true\n"},
		{"wrong type", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\nspec:\n  replicas: three\n"},
		{"probe field at wrong level", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  clusterIP: None\n  port: 5060\n"},
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndata: {c: d}\n"},
		{"unknown kind", "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n"},
		{"unknown Kafka field", "apiVersion: kafka.strimzi.io/v1beta2\nkind: Kafka\nmetadata: {name: x}\nspec:\n  kafka:\n    listeners: [{name: plain, port: 9092, type: internal, tls: false, tsl: true}]\n"},
		{"Kafka replicas in node pool spelled wrong", "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaNodePool\nmetadata: {name: x}\nspec:\n  replica: 3\n"},
		{"ClickHouse layout typo", "apiVersion: clickhouse.altinity.com/v1\nkind: ClickHouseInstallation\nmetadata: {name: x}\nspec:\n  configuration:\n    clusters: [{name: c, layout: {shardCount: 1}}]\n"},
		{"ClickHouse pod template field", "apiVersion: clickhouse.altinity.com/v1\nkind: ClickHouseInstallation\nmetadata: {name: x}\nspec:\n  templates:\n    podTemplates: [{name: p, spec: {containerz: []}}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeStrict([]byte(tt.doc)); err == nil {
				t.Errorf("accepted:\n%s", tt.doc)
			}
		})
	}
}

// TestSwitchStatefulSet: what the switch needs of its pods.
func TestSwitchStatefulSet(t *testing.T) {
	docs := loadAll(t)
	sts, svc, pdb := only[appsv1.StatefulSet](t, docs), only[corev1.Service](t, docs), only[policyv1.PodDisruptionBudget](t, docs)
	pod := sts.Spec.Template.Spec
	c := container(t, pod.Containers, "softswitch")
	labels := sts.Spec.Template.Labels

	checks := []struct {
		name string
		ok   bool
	}{
		{"selector matches the pod labels", matches(sts.Spec.Selector, labels)},
		{"PDB selects the pods", matches(pdb.Spec.Selector, labels)},
		{"PDB lets at most one go", pdb.Spec.MaxUnavailable != nil && pdb.Spec.MaxUnavailable.IntValue() == 1},
		{"service selects the pods", subset(svc.Spec.Selector, labels)},
		{"service is headless", svc.Spec.ClusterIP == corev1.ClusterIPNone},
		{"serviceName is the headless service", sts.Spec.ServiceName == svc.Name},
		{"host network", pod.HostNetwork},
		{"cluster DNS on the host network", pod.DNSPolicy == corev1.DNSClusterFirstWithHostNet},
		{"one switch per node", antiAffinityByHost(pod.Affinity, labels)},
		{"several nodes", sts.Spec.Replicas != nil && *sts.Spec.Replicas >= 2},
		{"runs the switch", slices.Equal(append(slices.Clone(c.Command), c.Args...), []string{"/usr/local/bin/softswitch", "run", "--config", "/etc/softswitch/softswitch.yaml"})},
		{"resources requested", c.Resources.Requests.Cpu().Sign() > 0 && c.Resources.Requests.Memory().Sign() > 0},
		{"memory limit", c.Resources.Limits.Memory().Sign() > 0},
		{"no privilege escalation", c.SecurityContext != nil && c.SecurityContext.AllowPrivilegeEscalation != nil && !*c.SecurityContext.AllowPrivilegeEscalation},
		{"non-root", pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot},
		{"liveness probe", c.LivenessProbe != nil},
		{"startup probe on /healthz", c.StartupProbe != nil && c.StartupProbe.HTTPGet != nil && c.StartupProbe.HTTPGet.Path == "/healthz"},
	}
	for _, ck := range checks {
		if !ck.ok {
			t.Errorf("not so: %s", ck.name)
		}
	}

	// Graceful drain: a preStop pause, then the switch's own stop (up to
	// 10 s ending calls, 5 s for the admin API) within the grace period.
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("no preStop sleep")
	}
	pre := c.Lifecycle.PreStop.Sleep.Seconds
	if g := sts.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g < pre+10+5+10 {
		t.Errorf("terminationGracePeriodSeconds leaves less than 10 s of margin after preStop %d s and the switch's 15 s stop", pre)
	}

	// The probes hit /healthz on the admin port the config listens on.
	cfg := renderedConfig(t, docs, "softswitch-0", "10.0.0.7")
	_, httpPort, _ := net.SplitHostPort(cfg.HTTP.Listen)
	admin := portNamed(t, c.Ports, "admin", corev1.ProtocolTCP)
	if strconv.Itoa(int(admin)) != httpPort {
		t.Errorf("admin port %d, config listens on %s", admin, cfg.HTTP.Listen)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "admin" {
		t.Errorf("readiness probe %+v, want GET /healthz on the admin port", p)
	}
	_, sipPort, _ := net.SplitHostPort(cfg.SIP.Listen)
	for _, proto := range []corev1.Protocol{corev1.ProtocolUDP, corev1.ProtocolTCP} {
		name := "sip-" + strings.ToLower(string(proto))
		if p := portNamed(t, c.Ports, name, proto); strconv.Itoa(int(p)) != sipPort {
			t.Errorf("%s port %d, config listens on %s", name, p, cfg.SIP.Listen)
		}
		if p := servicePort(svc, name, proto); strconv.Itoa(int(p)) != sipPort {
			t.Errorf("service %s port %d, want %s", name, p, sipPort)
		}
	}

	// The journal's volume: a claim template, mounted at data_dir.
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("%d volume claim templates, want 1", len(sts.Spec.VolumeClaimTemplates))
	}
	vct := sts.Spec.VolumeClaimTemplates[0]
	if vct.Spec.Resources.Requests.Storage().Sign() <= 0 {
		t.Errorf("claim %q requests no storage", vct.Name)
	}
	if m := mountAt(c.VolumeMounts, cfg.DataDir); m == nil || m.Name != vct.Name || m.ReadOnly {
		t.Errorf("data_dir %s is not the writable claim %q: %+v", cfg.DataDir, vct.Name, m)
	}
	// The rendered config is mounted where the switch reads it.
	if m := mountAt(c.VolumeMounts, "/etc/softswitch"); m == nil || m.Name != "config" {
		t.Errorf("no config volume at /etc/softswitch: %+v", m)
	}
}

// TestConfigMapConfigLoads runs the init container's own script on the
// ConfigMap's softswitch.yaml, as in a pod, and loads the result through
// internal/config with the Secret's values in the environment.
func TestConfigMapConfigLoads(t *testing.T) {
	docs := loadAll(t)
	tests := []struct{ pod, ip string }{
		{"softswitch-0", "10.0.0.7"},
		{"softswitch-2", "192.0.2.33"},
	}
	for _, tt := range tests {
		t.Run(tt.pod, func(t *testing.T) {
			cfg := renderedConfig(t, docs, tt.pod, tt.ip)
			if cfg.NodeID != tt.pod {
				t.Errorf("node_id %q, want the pod name %q", cfg.NodeID, tt.pod)
			}
			if cfg.SIP.Listen != tt.ip+":5060" {
				t.Errorf("sip.listen %q, want the pod (node) address", cfg.SIP.Listen)
			}
			if cfg.Media.BindAddr.String() != tt.ip || cfg.Media.AdvertiseAddr.String() != tt.ip {
				t.Errorf("media bind %v advertise %v, want %s", cfg.Media.BindAddr, cfg.Media.AdvertiseAddr, tt.ip)
			}
			if !cfg.Kafka.On() || cfg.ClickHouse.DSN == "" {
				t.Errorf("not cluster mode: kafka %v, clickhouse %q", cfg.Kafka.Brokers, cfg.ClickHouse.DSN)
			}
			sec := only[corev1.Secret](t, docs)
			if cfg.ClickHouse.Password != sec.StringData["CLICKHOUSE_PASSWORD"] {
				t.Errorf("clickhouse.password not taken from the Secret")
			}
		})
	}
}

// TestSecretsWiring: every "env:NAME" in the config, and the admin token
// variable, is set in the container from a key the Secret has.
func TestSecretsWiring(t *testing.T) {
	docs := loadAll(t)
	cm, sec := only[corev1.ConfigMap](t, docs), only[corev1.Secret](t, docs)
	c := container(t, only[appsv1.StatefulSet](t, docs).Spec.Template.Spec.Containers, "softswitch")
	fromSecret := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			ref := e.ValueFrom.SecretKeyRef
			if ref.Name != sec.Name {
				t.Errorf("env %s from secret %q, want %q", e.Name, ref.Name, sec.Name)
			}
			if _, ok := sec.StringData[ref.Key]; !ok {
				t.Errorf("env %s: the Secret has no key %q", e.Name, ref.Key)
			}
			fromSecret[e.Name] = ref.Key
		}
	}
	want := []string{config.AdminTokenEnv}
	ref := regexp.MustCompile(`"env:([A-Za-z_][A-Za-z0-9_]*)"`)
	for _, line := range strings.Split(cm.Data["softswitch.yaml"], "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue // a comment's example, not a value
		}
		for _, m := range ref.FindAllStringSubmatch(line, -1) {
			want = append(want, m[1])
		}
	}
	if len(want) < 3 {
		t.Fatalf("expected the config to name its secrets as env: values, found %v", want[1:])
	}
	for _, name := range want {
		if _, ok := fromSecret[name]; !ok {
			t.Errorf("%s is not set from the Secret", name)
		}
	}
}

// TestOperatorResources: the Kafka and ClickHouse custom resources agree
// with the switch's config and with their operators' documented values.
func TestOperatorResources(t *testing.T) {
	docs := loadAll(t)
	cfg := renderedConfig(t, docs, "softswitch-0", "10.0.0.7")
	kafka, pool, chi := only[strimziKafka](t, docs), only[strimziNodePool](t, docs), only[clickHouseInstallation](t, docs)

	// Strimzi: the pool belongs to the cluster by label; KRaft needs
	// controllers; the switch's topics need as many brokers as replicas.
	if pool.Labels["strimzi.io/cluster"] != kafka.Name {
		t.Errorf("node pool's strimzi.io/cluster %q, Kafka is %q", pool.Labels["strimzi.io/cluster"], kafka.Name)
	}
	if !slices.Contains(pool.Spec.Roles, "controller") || !slices.Contains(pool.Spec.Roles, "broker") {
		t.Errorf("roles %v, want controller and broker", pool.Spec.Roles)
	}
	for _, r := range pool.Spec.Roles {
		if r != "controller" && r != "broker" {
			t.Errorf("role %q is not one of controller, broker", r)
		}
	}
	if pool.Spec.Replicas < int32(cfg.Kafka.ReplicationFactor) {
		t.Errorf("%d brokers for replication_factor %d", pool.Spec.Replicas, cfg.Kafka.ReplicationFactor)
	}
	if s := pool.Spec.Storage; s.Type != "jbod" || len(s.Volumes) == 0 {
		t.Errorf("storage %+v, want jbod volumes", s)
	} else {
		shared := 0
		for _, v := range s.Volumes {
			if v.Type != "persistent-claim" && v.Type != "ephemeral" {
				t.Errorf("volume type %q", v.Type)
			}
			if v.KraftMetadata == "shared" {
				shared++
			} else if v.KraftMetadata != "" {
				t.Errorf("kraftMetadata %q, only \"shared\" is defined", v.KraftMetadata)
			}
		}
		if shared != 1 {
			t.Errorf("%d volumes hold the KRaft metadata, want 1", shared)
		}
	}
	if isr, ok := kafka.Spec.Kafka.Config["min.insync.replicas"].(float64); !ok || int(isr) >= cfg.Kafka.ReplicationFactor {
		t.Errorf("min.insync.replicas %v with replication_factor %d: one broker down would stop writes", kafka.Spec.Kafka.Config["min.insync.replicas"], cfg.Kafka.ReplicationFactor)
	}
	listener := map[string]int32{}
	for _, l := range kafka.Spec.Kafka.Listeners {
		if !regexp.MustCompile(`^[a-z0-9]{1,11}$`).MatchString(l.Name) {
			t.Errorf("listener name %q: Strimzi wants 1-11 lower-case letters and digits", l.Name)
		}
		if !slices.Contains([]string{"internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"}, l.Type) {
			t.Errorf("listener type %q", l.Type)
		}
		if !l.TLS && l.Type == "internal" && l.Authentication == nil {
			listener[l.Name] = l.Port
		}
	}
	// The switch's client is plain TCP without SASL: it must use such a
	// listener, through the bootstrap service Strimzi names
	// <cluster>-kafka-bootstrap.
	for _, b := range cfg.Kafka.Brokers {
		host, port, _ := net.SplitHostPort(b)
		if host != kafka.Name+"-kafka-bootstrap."+namespace+".svc.cluster.local" {
			t.Errorf("broker %s is not %s's bootstrap service", b, kafka.Name)
		}
		if !slices.ContainsFunc(mapValues(listener), func(p int32) bool { return strconv.Itoa(int(p)) == port }) {
			t.Errorf("broker %s: no plain internal listener on port %s (%v)", b, port, listener)
		}
	}

	// Altinity: the DSN names the installation's service clickhouse-<name>,
	// its native port, and a user the installation defines, whose password
	// is the Secret's key the switch reads.
	u, err := url.Parse(cfg.ClickHouse.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "clickhouse-"+chi.Name+"."+namespace+".svc.cluster.local" || u.Port() != "9000" {
		t.Errorf("dsn host %s, want clickhouse-%s.%s.svc.cluster.local:9000", u.Host, chi.Name, namespace)
	}
	user := u.User.Username()
	ref, _ := chi.Spec.Configuration.Users[user+"/k8s_secret_password"].(string)
	sec := only[corev1.Secret](t, docs)
	c := container(t, only[appsv1.StatefulSet](t, docs).Spec.Template.Spec.Containers, "softswitch")
	var switchKey string
	for _, e := range c.Env {
		if e.Name == "CLICKHOUSE_PASSWORD" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			switchKey = e.ValueFrom.SecretKeyRef.Key
		}
	}
	if ref != sec.Name+"/"+switchKey {
		t.Errorf("user %q's k8s_secret_password %q, want %s/%s (the switch's CLICKHOUSE_PASSWORD)", user, ref, sec.Name, switchKey)
	}
	// Every template the installation names exists.
	names := func(n []string) map[string]bool {
		m := map[string]bool{}
		for _, s := range n {
			m[s] = true
		}
		return m
	}
	var pods, vols []string
	for _, p := range chi.Spec.Templates.PodTemplates {
		pods = append(pods, p.Name)
		if len(p.Spec.Containers) == 0 {
			t.Errorf("pod template %q has no container", p.Name)
		}
	}
	for _, v := range chi.Spec.Templates.VolumeClaimTemplates {
		vols = append(vols, v.Name)
		if v.ReclaimPolicy != "" && v.ReclaimPolicy != "Retain" && v.ReclaimPolicy != "Delete" {
			t.Errorf("reclaimPolicy %q", v.ReclaimPolicy)
		}
	}
	if d := chi.Spec.Defaults.Templates; !names(pods)[d.PodTemplate] || !names(vols)[d.DataVolumeClaimTemplate] {
		t.Errorf("defaults name templates %q, %q; defined: %v, %v", d.PodTemplate, d.DataVolumeClaimTemplate, pods, vols)
	}
	if len(chi.Spec.Configuration.Clusters) != 1 || chi.Spec.Configuration.Clusters[0].Layout.ShardsCount < 1 {
		t.Errorf("clusters %+v", chi.Spec.Configuration.Clusters)
	}
}

// renderedConfig runs the init container's command with the ConfigMap's
// softswitch.yaml as its template, as the pod named pod with address ip,
// and loads the result with the Secret's values in the environment.
func renderedConfig(t *testing.T, docs []doc, pod, ip string) *config.Config {
	t.Helper()
	cm, sec, sts := only[corev1.ConfigMap](t, docs), only[corev1.Secret](t, docs), only[appsv1.StatefulSet](t, docs)
	init := container(t, sts.Spec.Template.Spec.InitContainers, "render-config")
	dir := t.TempDir()
	tmpl, out := filepath.Join(dir, "template.yaml"), filepath.Join(dir, "softswitch.yaml")
	if err := os.WriteFile(tmpl, []byte(cm.Data["softswitch.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, e := range init.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env = append(env, e.Name+"="+pod)
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "status.podIP":
			env = append(env, e.Name+"="+ip)
		case e.Name == "TEMPLATE":
			env = append(env, "TEMPLATE="+tmpl)
		case e.Name == "OUT":
			if e.Value != "/etc/softswitch/softswitch.yaml" {
				t.Errorf("init container writes %s, the switch reads /etc/softswitch/softswitch.yaml", e.Value)
			}
			env = append(env, "OUT="+out)
		}
	}
	cmd := exec.Command(init.Command[0], append(init.Command[1:], init.Args...)...)
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("init container script: %v\n%s", err, b)
	}
	rendered, _ := os.ReadFile(out)
	if bytes.Contains(rendered, []byte("__")) {
		t.Fatalf("placeholder left in the rendered config:\n%s", rendered)
	}
	for k, v := range sec.StringData {
		t.Setenv(k, v)
	}
	cfg, err := config.Load(out)
	if err != nil {
		t.Fatalf("ConfigMap softswitch.yaml: %v\n%s", err, rendered)
	}
	return cfg
}

func container(t *testing.T, cs []corev1.Container, name string) corev1.Container {
	t.Helper()
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return corev1.Container{}
}

func portNamed(t *testing.T, ps []corev1.ContainerPort, name string, proto corev1.Protocol) int32 {
	t.Helper()
	for _, p := range ps {
		if p.Name == name && p.Protocol == proto {
			return p.ContainerPort
		}
	}
	t.Errorf("no %s port %q", proto, name)
	return 0
}

func servicePort(s *corev1.Service, name string, proto corev1.Protocol) int32 {
	for _, p := range s.Spec.Ports {
		if p.Name == name && p.Protocol == proto {
			return p.Port
		}
	}
	return 0
}

func mountAt(ms []corev1.VolumeMount, path string) *corev1.VolumeMount {
	for i := range ms {
		if ms[i].MountPath == path {
			return &ms[i]
		}
	}
	return nil
}

func matches(sel *metav1.LabelSelector, labels map[string]string) bool {
	return sel != nil && len(sel.MatchExpressions) == 0 && len(sel.MatchLabels) > 0 && subset(sel.MatchLabels, labels)
}

func subset(want, have map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return len(want) > 0
}

func antiAffinityByHost(a *corev1.Affinity, labels map[string]string) bool {
	if a == nil || a.PodAntiAffinity == nil {
		return false
	}
	for _, term := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
		if term.TopologyKey == "kubernetes.io/hostname" && matches(term.LabelSelector, labels) {
			return true
		}
	}
	return false
}

func mapValues[K comparable, V any](m map[K]V) []V {
	var out []V
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
