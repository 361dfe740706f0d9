package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.ferry.control.FerryProperties;
import dev.ferry.model.webhook.WebhookSecret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.json.JsonMapper;

/**
 * What {@code deploy/} ships, checked without a cluster: the Kubernetes manifests under {@code
 * deploy/k8s} (probes, resources within a 3-vCPU namespace, pinned images, secrets only by
 * reference, environment names Ferry reads, one site per worker, non-root pods on a read-only root
 * filesystem), the Grafana dashboards and the Prometheus alert rules (only metrics Ferry exports).
 * {@link PrometheusRulesTest} runs promtool over the rules.
 */
class DeployManifestsTest {
  static final Path DEPLOY = findDeployDir();
  private static final Path K8S = DEPLOY.resolve("k8s");

  private static final String IMAGE = "ghcr.io/ferry-dev/ferry:0.1.0";
  private static final long CPU_BUDGET_MILLIS = 3000;
  private static final int HTTP_PORT = 8080;
  private static final String LIVENESS = "/actuator/health/liveness";
  private static final String READINESS = "/actuator/health/readiness";

  /** Environment variables that carry secrets: they may only come from a secretKeyRef. */
  private static final Set<String> SECRET_ENV =
      Set.of(
          "FERRY_ADMIN_TOKEN",
          "FERRY_MASTER_KEY",
          "FERRY_WORKER_SECRETS",
          "FERRY_WORKER_SECRET",
          "SPRING_DATASOURCE_USERNAME",
          "SPRING_DATASOURCE_PASSWORD");

  /** What the telemetry role exports (the telemetry issue); alerts may use nothing else. */
  static final Set<String> TELEMETRY_METRICS =
      Set.of(
          "ferry_transfers_total",
          "ferry_transfer_bytes_total",
          "ferry_transfer_duration_seconds_bucket",
          "ferry_transfer_duration_seconds_sum",
          "ferry_transfer_duration_seconds_count",
          "ferry_site_last_transfer_timestamp_seconds",
          "ferry_link_anomaly_score",
          "ferry_consistency_drift",
          "ferry_attempts_total",
          "ferry_attempt_retries_total",
          "ferry_attempt_wire_bytes_total",
          "ferry_attempt_failures_total");

  /** Dashboards may also use the control plane's callback counter and Micrometer's JVM metrics. */
  static final Set<String> DASHBOARD_METRICS =
      Stream.concat(
              TELEMETRY_METRICS.stream(),
              Stream.of(
                  "ferry_callbacks_rejected_total",
                  "jvm_memory_used_bytes",
                  "jvm_memory_committed_bytes",
                  "jvm_memory_max_bytes",
                  "jvm_gc_pause_seconds_count",
                  "jvm_gc_pause_seconds_sum",
                  "jvm_gc_pause_seconds_max",
                  "jvm_threads_live_threads",
                  "jvm_threads_states_threads",
                  "jvm_classes_loaded_classes",
                  "process_cpu_usage",
                  "process_uptime_seconds",
                  "process_start_time_seconds",
                  "system_cpu_usage"))
          .collect(Collectors.toUnmodifiableSet());

  // ---------------------------------------------------------------- kustomization

  @Test
  void shouldListEveryManifestInTheKustomization() throws IOException {
    Map<String, Object> kustomization = loadAll(K8S.resolve("kustomization.yaml")).get(0);
    List<String> resources = strings(kustomization.get("resources"));
    Set<String> files;
    try (Stream<Path> s = Files.list(K8S)) {
      files =
          s.map(p -> p.getFileName().toString())
              .filter(n -> !n.equals("kustomization.yaml"))
              .collect(Collectors.toCollection(TreeSet::new));
    }
    assertThat(new TreeSet<>(resources))
        .as("kustomization.yaml resources vs the files in deploy/k8s")
        .isEqualTo(files);
    assertThat(resources).doesNotHaveDuplicates();
    assertThat(kustomization.get("namespace")).isEqualTo("ferry");
  }

  @Test
  void shouldPutEveryObjectInTheFerryNamespace() {
    List<Map<String, Object>> namespaces = ofKind("Namespace");
    assertThat(namespaces).hasSize(1);
    assertThat(str(namespaces.get(0), "metadata", "name")).isEqualTo("ferry");
    for (Map<String, Object> o : objects()) {
      assertThat(o.get("apiVersion")).as("apiVersion of %s", id(o)).isNotNull();
      assertThat(str(o, "metadata", "name")).as("name of %s", id(o)).isNotBlank();
      if (!o.get("kind").equals("Namespace")) {
        assertThat(str(o, "metadata", "namespace")).as("namespace of %s", id(o)).isEqualTo("ferry");
      }
    }
    Set<String> ids = new HashSet<>();
    objects().forEach(o -> assertThat(ids.add(id(o))).as("duplicate %s", id(o)).isTrue());
  }

  // ---------------------------------------------------------------- containers

  @Test
  void shouldProbeLivenessAndReadinessOnTheHttpPort() {
    for (Workload w : workloads()) {
      for (Map<String, Object> c : w.containers()) {
        String where = w.name() + "/" + c.get("name");
        int port = containerPort(c, "http");
        assertThat(port).as("http port of %s", where).isEqualTo(HTTP_PORT);
        String portArg = argValue(c, "--port");
        if (portArg != null) {
          assertThat(Integer.parseInt(portArg)).as("--port of %s", where).isEqualTo(port);
        }
        assertProbe(c, "livenessProbe", LIVENESS, where);
        assertProbe(c, "readinessProbe", READINESS, where);
        if (c.containsKey("startupProbe")) {
          assertProbe(c, "startupProbe", LIVENESS, where);
        }
      }
    }
  }

  @Test
  void shouldSetRequestsAndLimitsOnEveryContainer() {
    for (Workload w : workloads()) {
      for (Map<String, Object> c : w.containers()) {
        String where = w.name() + "/" + c.get("name");
        long cpuRequest = cpuMillis(value(c, "resources", "requests", "cpu"));
        long cpuLimit = cpuMillis(value(c, "resources", "limits", "cpu"));
        long memRequest = bytes(value(c, "resources", "requests", "memory"));
        long memLimit = bytes(value(c, "resources", "limits", "memory"));
        assertThat(cpuRequest).as("cpu request of %s", where).isPositive();
        assertThat(cpuLimit).as("cpu limit of %s", where).isGreaterThanOrEqualTo(cpuRequest);
        assertThat(memRequest).as("memory request of %s", where).isGreaterThanOrEqualTo(256L << 20);
        // A JVM sized from its limit must not be killed for using what it was promised.
        assertThat(memLimit).as("memory limit of %s", where).isEqualTo(memRequest);
      }
    }
  }

  @Test
  void shouldFitThreeCoresOfRequestsEvenDuringARollout() {
    long steady = 0;
    long rollout = 0;
    for (Workload w : workloads()) {
      long perPod =
          w.containers().stream()
              .mapToLong(c -> cpuMillis(value(c, "resources", "requests", "cpu")))
              .sum();
      steady += perPod * w.replicas();
      rollout += perPod * (w.replicas() + w.maxSurge());
    }
    assertThat(steady)
        .as("CPU requests × replicas, in millicores")
        .isLessThanOrEqualTo(CPU_BUDGET_MILLIS);
    assertThat(rollout)
        .as("CPU requests × (replicas + maxSurge), in millicores")
        .isLessThanOrEqualTo(CPU_BUDGET_MILLIS);
    for (Map<String, Object> quota : ofKind("ResourceQuota")) {
      assertThat(cpuMillis(value(quota, "spec", "hard", "requests.cpu")))
          .as("the quota's requests.cpu")
          .isLessThanOrEqualTo(CPU_BUDGET_MILLIS)
          .isGreaterThanOrEqualTo(rollout);
      Object memQuota = value(quota, "spec", "hard", "requests.memory");
      if (memQuota != null) {
        long memory = 0;
        for (Workload w : workloads()) {
          for (Map<String, Object> c : w.containers()) {
            memory +=
                bytes(value(c, "resources", "requests", "memory")) * (w.replicas() + w.maxSurge());
          }
        }
        assertThat(bytes(memQuota))
            .as("the quota's requests.memory")
            .isGreaterThanOrEqualTo(memory);
      }
    }
  }

  @Test
  void shouldSizeTheHeapFromTheContainerLimit() {
    Pattern ram = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(?:\\.\\d+)?)");
    for (Workload w : workloads()) {
      for (Map<String, Object> c : w.containers()) {
        String options = envValue(c, "JAVA_TOOL_OPTIONS");
        assertThat(options).as("JAVA_TOOL_OPTIONS of %s", w.name()).isNotNull();
        Matcher m = ram.matcher(options);
        assertThat(m.find()).as("-XX:MaxRAMPercentage in %s", w.name()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isBetween(25.0, 80.0);
      }
    }
  }

  @Test
  void shouldPinTheImageTheJibProfileBuilds() throws IOException {
    for (Workload w : workloads()) {
      for (Map<String, Object> c : w.containers()) {
        String image = (String) c.get("image");
        assertThat(image).as("image of %s", w.name()).isEqualTo(IMAGE);
        assertThat(image)
            .doesNotEndWith(":latest")
            .matches(".+(:[\\w][\\w.-]*|@sha256:[0-9a-f]{64})");
      }
    }
    String pom = Files.readString(DEPLOY.resolveSibling("ferry-app/pom.xml"));
    assertThat(pom)
        .as("ferry-app/pom.xml's image profile")
        .contains("<image>" + IMAGE + "</image>");
  }

  // ---------------------------------------------------------------- secrets and environment

  @Test
  void shouldPassSecretsOnlyThroughSecretKeyRefs() {
    Map<String, Set<String>> secretKeys = keysOf("Secret");
    Map<String, Set<String>> configKeys = keysOf("ConfigMap");
    Pattern secretLooking =
        Pattern.compile("whsec_|ferry_[A-Za-z0-9]{20,}|[A-Za-z0-9+/]{40,}={0,2}|CHANGE-ME");
    for (Workload w : workloads()) {
      for (Map<String, Object> c : w.containers()) {
        assertThat(c.get("envFrom")).as("envFrom in %s: name every variable", w.name()).isNull();
        for (Map<String, Object> e : maps(c.get("env"))) {
          String name = (String) e.get("name");
          String where = w.name() + " " + name;
          Map<String, Object> secretRef = map(e, "valueFrom", "secretKeyRef");
          Map<String, Object> configRef = map(e, "valueFrom", "configMapKeyRef");
          if (SECRET_ENV.contains(name)) {
            assertThat(e.get("value")).as("literal value of %s", where).isNull();
            assertThat(secretRef).as("secretKeyRef of %s", where).isNotNull();
          }
          if (e.containsKey("value")) {
            assertThat(String.valueOf(e.get("value")))
                .as("literal value of %s", where)
                .doesNotContainPattern(secretLooking);
          }
          if (secretRef != null) {
            assertThat(secretRef.get("optional"))
                .as("%s must be required", where)
                .isNotEqualTo(true);
            assertThat(secretKeys.get((String) secretRef.get("name")))
                .as("Secret %s for %s", secretRef.get("name"), where)
                .isNotNull()
                .contains((String) secretRef.get("key"));
          }
          if (configRef != null) {
            assertThat(configKeys.get((String) configRef.get("name")))
                .as("ConfigMap %s for %s", configRef.get("name"), where)
                .isNotNull()
                .contains((String) configRef.get("key"));
          }
        }
      }
    }
  }

  @Test
  void shouldShipPlaceholderSecretsThatCannotStartFerry() {
    List<Map<String, Object>> secrets = ofKind("Secret");
    assertThat(secrets).hasSize(1);
    Map<String, Object> secret = secrets.get(0);
    assertThat(secret.get("data"))
        .as("base64 data hides what is committed: use stringData")
        .isNull();
    Map<String, Object> values = map(secret, "stringData");
    assertThat(values).containsKeys("admin-token", "master-key", "worker-secrets", "worker-secret");
    values.forEach(
        (key, value) -> {
          if (!key.equals("datasource-username")) {
            assertThat(value).as("committed value of %s", key).isEqualTo("CHANGE-ME");
          }
        });
    // Applied by mistake, the placeholders stop the pods instead of running with known secrets.
    assertThat(decodesTo32Bytes((String) values.get("master-key"))).isFalse();
    assertThatThrownBy(() -> WebhookSecret.parse((String) values.get("worker-secret")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldUseOnlyEnvironmentNamesFerryReads() throws IOException {
    Set<String> read = environmentNamesFerryReads();
    for (Workload w : workloads()) {
      Set<String> names = envNames(w);
      assertThat(read)
          .as("environment of %s that Ferry does not read", w.name())
          .containsAll(names);
      Set<String> roles = w.roles();
      if (roles.contains("control")) {
        assertThat(names)
            .contains(
                "SPRING_DATASOURCE_URL",
                "FERRY_KAFKA_BOOTSTRAP_SERVERS",
                "FERRY_ADMIN_TOKEN",
                "FERRY_MASTER_KEY",
                "FERRY_WORKER_SECRETS");
      } else {
        // Only the control plane touches PostgreSQL and holds the root token and master key.
        assertThat(names)
            .as("environment of %s", w.name())
            .doesNotContain(
                "SPRING_DATASOURCE_URL",
                "SPRING_DATASOURCE_PASSWORD",
                "FERRY_ADMIN_TOKEN",
                "FERRY_MASTER_KEY",
                "FERRY_WORKER_SECRETS");
      }
      if (roles.contains("worker") && !roles.contains("control")) {
        assertThat(names).contains("FERRY_KAFKA_BOOTSTRAP_SERVERS", "FERRY_WORKER_SECRET");
      }
      if (roles.contains("telemetry")) {
        assertThat(names).contains("FERRY_KAFKA_BOOTSTRAP_SERVERS");
      }
    }
  }

  // ---------------------------------------------------------------- roles and wiring

  @Test
  void shouldRunEachRoleAndReplicateTheControlPlane() {
    Map<String, Integer> replicasByRole = new HashMap<>();
    for (Workload w : workloads()) {
      assertThat(strings(w.containers().get(0).get("args")))
          .as("args of %s: PostgreSQL and Kafka are external", w.name())
          .doesNotContain("--embedded");
      for (String role : w.roles()) {
        assertThat(role).isIn("control", "worker", "telemetry");
        replicasByRole.merge(role, w.replicas(), Integer::sum);
      }
    }
    assertThat(replicasByRole).containsKeys("control", "worker", "telemetry");
    assertThat(replicasByRole.get("control")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void shouldGiveEachWorkerOneSiteAndTheControlPlanesService() {
    List<String> sites = new ArrayList<>();
    for (Workload w : workloads()) {
      if (!w.roles().equals(Set.of("worker"))) {
        continue;
      }
      Map<String, Object> c = w.containers().get(0);
      String site = argValue(c, "--site");
      assertThat(site).as("--site of %s", w.name()).isNotBlank().doesNotStartWith("-");
      sites.add(site);
      String url = argValue(c, "--control-url");
      assertThat(url).as("--control-url of %s", w.name()).isNotNull();
      Matcher m = Pattern.compile("http://([a-z0-9-]+):(\\d+)").matcher(url);
      assertThat(m.matches()).as("%s is http://<service>:<port>", url).isTrue();
      Map<String, Object> service = objectNamed("Service", m.group(1));
      assertThat(service).as("Service %s", m.group(1)).isNotNull();
      Workload target = selectedWorkload(service);
      assertThat(target.roles()).as("what Service %s selects", m.group(1)).contains("control");
      assertThat(
              maps(value(service, "spec", "ports")).stream()
                  .map(p -> String.valueOf(p.get("port"))))
          .contains(m.group(2));
    }
    assertThat(sites).hasSizeGreaterThanOrEqualTo(2).doesNotHaveDuplicates();
  }

  @Test
  void shouldRouteEveryServiceToExactlyOneDeploymentsHttpPort() {
    for (Map<String, Object> service : ofKind("Service")) {
      Workload target = selectedWorkload(service);
      for (Map<String, Object> port : maps(value(service, "spec", "ports"))) {
        Object targetPort = port.getOrDefault("targetPort", port.get("port"));
        int resolved =
            targetPort instanceof Integer i
                ? i
                : containerPort(target.containers().get(0), (String) targetPort);
        assertThat(resolved)
            .as("targetPort of Service %s", str(service, "metadata", "name"))
            .isEqualTo(HTTP_PORT);
      }
    }
    for (Workload w : workloads()) {
      Map<String, Object> selector = map(w.object(), "spec", "selector", "matchLabels");
      assertThat(w.podLabels()).as("pod labels of %s", w.name()).containsAllEntriesOf(selector);
      for (Workload other : workloads()) {
        if (!other.name().equals(w.name())) {
          assertThat(other.podLabels().entrySet().containsAll(selector.entrySet()))
              .as("%s's selector also matches %s's pods", w.name(), other.name())
              .isFalse();
        }
      }
    }
  }

  @Test
  void shouldRunAsNonRootOnAReadOnlyRootFilesystem() {
    for (Workload w : workloads()) {
      Map<String, Object> pod = w.podSpec();
      assertThat(pod.get("enableServiceLinks"))
          .as("%s: service links would become ferry.* properties", w.name())
          .isEqualTo(false);
      assertThat(pod.get("automountServiceAccountToken")).as(w.name()).isEqualTo(false);
      Map<String, Object> podSecurity = map(pod, "securityContext");
      for (Map<String, Object> c : w.containers()) {
        String where = w.name() + "/" + c.get("name");
        Map<String, Object> sc = map(c, "securityContext");
        Object nonRoot = sc.getOrDefault("runAsNonRoot", podSecurity.get("runAsNonRoot"));
        Object user = sc.getOrDefault("runAsUser", podSecurity.get("runAsUser"));
        assertThat(nonRoot).as("runAsNonRoot of %s", where).isEqualTo(true);
        assertThat(user).as("runAsUser of %s", where).isInstanceOf(Integer.class).isNotEqualTo(0);
        assertThat(sc.get("readOnlyRootFilesystem")).as(where).isEqualTo(true);
        assertThat(sc.get("allowPrivilegeEscalation")).as(where).isEqualTo(false);
        assertThat(strings(value(sc, "capabilities", "drop"))).as(where).contains("ALL");
        String dataDir = argValue(c, "--data-dir");
        assertThat(dataDir).as("--data-dir of %s (the default is under $HOME)", where).isNotNull();
        assertWritableEmptyDir(w, c, "/tmp");
        assertWritableEmptyDir(w, c, dataDir);
      }
    }
  }

  // ---------------------------------------------------------------- dashboards and alerts

  @Test
  void shouldQueryOnlyMetricsFerryExportsInTheDashboards() throws IOException {
    Map<String, List<String>> dashboards = dashboardExpressions();
    assertThat(dashboards.keySet())
        .containsExactlyInAnyOrder("ferry-overview.json", "ferry-link.json", "ferry-site.json");
    Set<String> used = new TreeSet<>();
    dashboards.forEach(
        (file, exprs) -> {
          assertThat(exprs).as("expressions in %s", file).isNotEmpty();
          for (String expr : exprs) {
            Set<String> names = metricNames(expr);
            assertThat(names).as("metrics in %s: %s", file, expr).isNotEmpty();
            assertThat(DASHBOARD_METRICS).as("metrics in %s: %s", file, expr).containsAll(names);
            used.addAll(names);
          }
        });
    assertThat(used).containsAll(TELEMETRY_METRICS).contains("ferry_callbacks_rejected_total");
  }

  @Test
  void shouldGiveEachDashboardItsOwnUidAndAPrometheusDatasourceVariable() throws IOException {
    Set<String> uids = new HashSet<>();
    for (Path file : dashboardFiles()) {
      Map<String, Object> d = json(file);
      assertThat(uids.add((String) d.get("uid"))).as("uid of %s", file).isTrue();
      List<Map<String, Object>> vars = maps(value(d, "templating", "list"));
      assertThat(vars)
          .anySatisfy(
              v -> {
                assertThat(v.get("type")).isEqualTo("datasource");
                assertThat(v.get("query")).isEqualTo("prometheus");
              });
      for (Map<String, Object> panel : panels(d)) {
        if (!"row".equals(panel.get("type"))) {
          assertThat(str(panel, "datasource", "uid"))
              .as("datasource of %s", panel.get("title"))
              .isEqualTo("${datasource}");
        }
      }
    }
  }

  @Test
  void shouldAlertOnlyOnTelemetryMetricsWithTheAgreedWindows() {
    Map<String, Map<String, Object>> alerts = new LinkedHashMap<>();
    for (Map<String, Object> group :
        maps(loadAll(DEPLOY.resolve("prometheus/alerts.yml")).get(0).get("groups"))) {
      for (Map<String, Object> rule : maps(group.get("rules"))) {
        alerts.put((String) rule.get("alert"), rule);
        Set<String> names = metricNames((String) rule.get("expr"));
        assertThat(names).as("metrics of %s", rule.get("alert")).isNotEmpty();
        assertThat(TELEMETRY_METRICS).as("metrics of %s", rule.get("alert")).containsAll(names);
        assertThat(map(rule, "labels")).containsKey("severity");
        assertThat(map(rule, "annotations")).containsKeys("summary", "description");
      }
    }
    assertThat(alerts.keySet())
        .containsExactlyInAnyOrder(
            "FerryLinkFailureRatioHigh",
            "FerrySiteStale",
            "FerryConsistencyDrift",
            "FerryLinkAnomalous");
    assertThat(alerts.get("FerryLinkFailureRatioHigh").get("for")).isEqualTo("5m");
    assertThat((String) alerts.get("FerryLinkFailureRatioHigh").get("expr"))
        .contains("[10m]", "> 0.10");
    assertThat((String) alerts.get("FerrySiteStale").get("expr")).contains("15 * 60", "24 * 3600");
    assertThat(alerts.get("FerryConsistencyDrift").get("for")).isEqualTo("2m");
    assertThat(alerts.get("FerryLinkAnomalous").get("for")).isEqualTo("5m");

    // alerts_test.yml must show each alert both firing and quiet.
    Map<String, Set<Boolean>> cases = new HashMap<>();
    for (Map<String, Object> test :
        maps(loadAll(DEPLOY.resolve("prometheus/alerts_test.yml")).get(0).get("tests"))) {
      for (Map<String, Object> t : maps(test.get("alert_rule_test"))) {
        cases
            .computeIfAbsent((String) t.get("alertname"), k -> new HashSet<>())
            .add(!maps(t.get("exp_alerts")).isEmpty());
      }
    }
    alerts
        .keySet()
        .forEach(
            a ->
                assertThat(cases.get(a))
                    .as("test cases of %s", a)
                    .containsExactlyInAnyOrder(true, false));
  }

  @Test
  void shouldFindMetricNamesInPromQl() {
    assertThat(
            metricNames(
                "sum by (src_site, le) (rate(ferry_transfer_duration_seconds_bucket{tenant=~\"$tenant\"}[$__rate_interval]))"
                    + " / on (src_site) group_left (x) max without (pod) (up offset 5m) > 1e3 and 0.95"))
        .containsExactlyInAnyOrder("ferry_transfer_duration_seconds_bucket", "up");
    assertThat(metricNames("label_values(ferry_transfers_total{tenant=~\"$tenant\"}, src_site)"))
        .containsExactly("ferry_transfers_total");
    assertThat(metricNames("(time() - ferry_site_last_transfer_timestamp_seconds) > 15 * 60"))
        .containsExactly("ferry_site_last_transfer_timestamp_seconds");
    assertThat(metricNames("count(foo_total > 1.5) or vector(0)")).containsExactly("foo_total");
  }

  // ================================================================ helpers

  /** A Deployment (or StatefulSet) and the parts of it the checks look at. */
  private record Workload(Map<String, Object> object) {
    String name() {
      return object.get("kind") + "/" + str(object, "metadata", "name");
    }

    int replicas() {
      Object r = value(object, "spec", "replicas");
      return r == null ? 1 : (Integer) r;
    }

    /** Extra pods a rolling update may start (Kubernetes' default maxSurge is 25 %, rounded up). */
    int maxSurge() {
      if (!object.get("kind").equals("Deployment")
          || "Recreate".equals(value(object, "spec", "strategy", "type"))) {
        return 0;
      }
      Object surge = value(object, "spec", "strategy", "rollingUpdate", "maxSurge");
      if (surge == null) {
        surge = "25%";
      }
      if (surge instanceof Integer i) {
        return i;
      }
      String s = (String) surge;
      return s.endsWith("%")
          ? (int) Math.ceil(replicas() * Integer.parseInt(s.substring(0, s.length() - 1)) / 100.0)
          : Integer.parseInt(s);
    }

    Map<String, Object> podSpec() {
      return map(object, "spec", "template", "spec");
    }

    Map<String, Object> podLabels() {
      return map(object, "spec", "template", "metadata", "labels");
    }

    List<Map<String, Object>> containers() {
      List<Map<String, Object>> all = new ArrayList<>(maps(podSpec().get("containers")));
      assertThat(all).as("containers of %s", name()).isNotEmpty();
      return all;
    }

    Set<String> roles() {
      String roles = argValue(containers().get(0), "--roles");
      assertThat(roles).as("--roles of %s", name()).isNotNull();
      return new LinkedHashSet<>(List.of(roles.split(",")));
    }
  }

  private static Path findDeployDir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("deploy/k8s/kustomization.yaml"))) {
        return p.resolve("deploy");
      }
    }
    throw new IllegalStateException(
        "no deploy/k8s/kustomization.yaml above " + Path.of("").toAbsolutePath());
  }

  static List<Map<String, Object>> loadAll(Path file) {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    List<Map<String, Object>> docs = new ArrayList<>();
    try {
      for (Object doc : yaml.loadAll(Files.readString(file))) {
        if (doc != null) {
          assertThat(doc).as("a document in %s", file).isInstanceOf(Map.class);
          docs.add(cast(doc));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return docs;
  }

  private static List<Map<String, Object>> objects() {
    List<Map<String, Object>> all = new ArrayList<>();
    for (String resource :
        strings(loadAll(K8S.resolve("kustomization.yaml")).get(0).get("resources"))) {
      all.addAll(loadAll(K8S.resolve(resource)));
    }
    assertThat(all).isNotEmpty();
    return all;
  }

  private static List<Map<String, Object>> ofKind(String kind) {
    return objects().stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  private static Map<String, Object> objectNamed(String kind, String name) {
    return ofKind(kind).stream()
        .filter(o -> name.equals(str(o, "metadata", "name")))
        .findFirst()
        .orElse(null);
  }

  private static List<Workload> workloads() {
    List<Workload> all =
        objects().stream()
            .filter(o -> Set.of("Deployment", "StatefulSet", "DaemonSet").contains(o.get("kind")))
            .map(Workload::new)
            .toList();
    assertThat(all).isNotEmpty();
    return all;
  }

  private static Workload selectedWorkload(Map<String, Object> service) {
    Map<String, Object> selector = map(service, "spec", "selector");
    List<Workload> selected =
        workloads().stream()
            .filter(w -> w.podLabels().entrySet().containsAll(selector.entrySet()))
            .toList();
    assertThat(selected)
        .as("workloads Service %s selects", str(service, "metadata", "name"))
        .hasSize(1);
    return selected.get(0);
  }

  private static String id(Map<String, Object> o) {
    return o.get("kind") + "/" + str(o, "metadata", "name");
  }

  private static Map<String, Set<String>> keysOf(String kind) {
    Map<String, Set<String>> keys = new HashMap<>();
    for (Map<String, Object> o : ofKind(kind)) {
      Set<String> k = new HashSet<>();
      for (String field : List.of("data", "stringData")) {
        Map<String, Object> m = map(o, field);
        if (m != null) {
          k.addAll(m.keySet());
        }
      }
      keys.put(str(o, "metadata", "name"), k);
    }
    return keys;
  }

  private static void assertProbe(Map<String, Object> c, String probe, String path, String where) {
    Map<String, Object> get = map(c, probe, "httpGet");
    assertThat(get).as("%s.httpGet of %s", probe, where).isNotNull();
    assertThat(get.get("path")).as("%s path of %s", probe, where).isEqualTo(path);
    Object port = get.get("port");
    int resolved = port instanceof Integer i ? i : containerPort(c, (String) port);
    assertThat(resolved).as("%s port of %s", probe, where).isEqualTo(HTTP_PORT);
  }

  private static void assertWritableEmptyDir(Workload w, Map<String, Object> c, String path) {
    Map<String, Object> mount =
        maps(c.get("volumeMounts")).stream()
            .filter(m -> path.equals(m.get("mountPath")))
            .findFirst()
            .orElse(null);
    assertThat(mount).as("a volume at %s in %s", path, w.name()).isNotNull();
    assertThat(mount.get("readOnly")).isNotEqualTo(true);
    Map<String, Object> volume =
        maps(w.podSpec().get("volumes")).stream()
            .filter(v -> mount.get("name").equals(v.get("name")))
            .findFirst()
            .orElse(null);
    assertThat(volume).as("volume %s of %s", mount.get("name"), w.name()).isNotNull();
    assertThat(volume).as("volume %s of %s", mount.get("name"), w.name()).containsKey("emptyDir");
  }

  private static int containerPort(Map<String, Object> c, String name) {
    return maps(c.get("ports")).stream()
        .filter(p -> name.equals(p.get("name")))
        .map(p -> (Integer) p.get("containerPort"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no port named " + name + " in " + c.get("name")));
  }

  /** The value after {@code flag} in the container's args, or null when the flag is absent. */
  private static String argValue(Map<String, Object> c, String flag) {
    List<String> args = strings(c.get("args"));
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals(flag)) {
        return i + 1 < args.size() ? args.get(i + 1) : "";
      }
      if (args.get(i).startsWith(flag + "=")) {
        return args.get(i).substring(flag.length() + 1);
      }
    }
    return null;
  }

  private static String envValue(Map<String, Object> c, String name) {
    return maps(c.get("env")).stream()
        .filter(e -> name.equals(e.get("name")))
        .map(e -> (String) e.get("value"))
        .findFirst()
        .orElse(null);
  }

  private static Set<String> envNames(Workload w) {
    Set<String> names = new TreeSet<>();
    for (Map<String, Object> c : w.containers()) {
      List<String> list = maps(c.get("env")).stream().map(e -> (String) e.get("name")).toList();
      assertThat(list).as("environment of %s", w.name()).doesNotHaveDuplicates();
      names.addAll(list);
    }
    return names;
  }

  /**
   * The environment Ferry reads: {@code ferry.*} properties through Spring's relaxed binding
   * (derived from {@link FerryProperties}' components), the variables ferry-app reads itself
   * ({@code System.getenv("…")} in its sources), Spring's datasource and the JVM's options.
   */
  private static Set<String> environmentNamesFerryReads() throws IOException {
    Set<String> names =
        new TreeSet<>(
            Set.of(
                "JAVA_TOOL_OPTIONS",
                "SERVER_PORT",
                "SPRING_DATASOURCE_URL",
                "SPRING_DATASOURCE_USERNAME",
                "SPRING_DATASOURCE_PASSWORD"));
    addRelaxedNames("FERRY", FerryProperties.class, names);
    Pattern getenv = Pattern.compile("getenv\\(\\s*\"([A-Z0-9_]+)\"");
    try (Stream<Path> sources = Files.walk(DEPLOY.resolveSibling("ferry-app/src/main/java"))) {
      for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = getenv.matcher(Files.readString(source));
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    assertThat(names)
        .as("names derived from the code")
        .contains(
            "FERRY_ADMIN_TOKEN",
            "FERRY_MASTER_KEY",
            "FERRY_WORKER_SECRETS",
            "FERRY_WORKER_SECRET",
            "FERRY_KAFKA_BOOTSTRAP_SERVERS");
    return names;
  }

  private static void addRelaxedNames(String prefix, Class<?> type, Set<String> names) {
    for (RecordComponent component : type.getRecordComponents()) {
      String name =
          prefix + "_" + component.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase();
      names.add(name);
      if (component.getType().isRecord()) {
        addRelaxedNames(name, component.getType(), names);
      }
    }
  }

  private static boolean decodesTo32Bytes(String text) {
    try {
      return Base64.getDecoder().decode(text.strip()).length == 32;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- dashboards

  static List<Path> dashboardFiles() throws IOException {
    try (Stream<Path> s = Files.list(DEPLOY.resolve("grafana"))) {
      return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  /** Every PromQL expression of every dashboard: panel targets and query variables. */
  static Map<String, List<String>> dashboardExpressions() throws IOException {
    Map<String, List<String>> all = new LinkedHashMap<>();
    for (Path file : dashboardFiles()) {
      Map<String, Object> d = json(file);
      List<String> exprs = new ArrayList<>();
      for (Map<String, Object> panel : panels(d)) {
        for (Map<String, Object> target : maps(panel.get("targets"))) {
          exprs.add((String) target.get("expr"));
        }
      }
      for (Map<String, Object> v : maps(value(d, "templating", "list"))) {
        if ("query".equals(v.get("type"))) {
          Object q = v.get("query");
          exprs.add(q instanceof Map<?, ?> m ? (String) m.get("query") : (String) q);
        }
      }
      exprs.forEach(e -> assertThat(e).as("an expression in %s", file).isNotBlank());
      all.put(file.getFileName().toString(), exprs);
    }
    return all;
  }

  private static List<Map<String, Object>> panels(Map<String, Object> dashboard) {
    List<Map<String, Object>> all = new ArrayList<>();
    for (Map<String, Object> p : maps(dashboard.get("panels"))) {
      all.add(p);
      all.addAll(maps(p.get("panels")));
    }
    return all;
  }

  private static Map<String, Object> json(Path file) {
    try {
      return cast(JsonMapper.builder().build().readValue(Files.readString(file), Map.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final Pattern STRING =
      Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
  private static final Pattern LABEL_LIST =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*");
  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "inf",
          "nan",
          "atan2");

  /**
   * The metric names a PromQL expression (or a Grafana {@code label_values(…)} query) selects: what
   * is left after removing strings, label matchers, ranges, label lists, functions and keywords.
   */
  static Set<String> metricNames(String expr) {
    String s = expr.strip();
    Matcher labelValues = Pattern.compile("label_values\\((.*),\\s*\\w+\\s*\\)").matcher(s);
    if (labelValues.matches()) {
      s = labelValues.group(1);
    }
    s = STRING.matcher(s).replaceAll("\"\"");
    s = s.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^\\]]*]", " ");
    s = LABEL_LIST.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String id = m.group();
      boolean partOfNumber =
          m.start() > 0
              && (Character.isDigit(s.charAt(m.start() - 1)) || s.charAt(m.start() - 1) == '.');
      boolean function = s.substring(m.end()).stripLeading().startsWith("(");
      if (!partOfNumber && !function && !KEYWORDS.contains(id.toLowerCase())) {
        names.add(id);
      }
    }
    return names;
  }

  // ---------------------------------------------------------------- YAML and JSON trees

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object o) {
    return (T) o;
  }

  static Object value(Map<String, Object> root, String... path) {
    Object o = root;
    for (String key : path) {
      if (!(o instanceof Map<?, ?> m)) {
        return null;
      }
      o = m.get(key);
    }
    return o;
  }

  static Map<String, Object> map(Map<String, Object> root, String... path) {
    Object o = value(root, path);
    if (o != null && !(o instanceof Map)) {
      fail("%s is not a mapping: %s", String.join(".", path), o);
    }
    return cast(o);
  }

  private static String str(Map<String, Object> root, String... path) {
    Object o = value(root, path);
    return o == null ? null : o.toString();
  }

  static List<Map<String, Object>> maps(Object list) {
    return list == null ? List.of() : cast(list);
  }

  private static List<String> strings(Object list) {
    return list == null ? List.of() : ((List<?>) list).stream().map(String::valueOf).toList();
  }

  /** Kubernetes CPU quantity ({@code 500m}, {@code 2}, {@code 0.5}) in millicores. */
  private static long cpuMillis(Object quantity) {
    assertThat(quantity).as("a CPU quantity").isNotNull();
    String q = quantity.toString();
    return q.endsWith("m")
        ? Long.parseLong(q.substring(0, q.length() - 1))
        : new BigDecimal(q).movePointRight(3).longValueExact();
  }

  /** Kubernetes memory quantity ({@code 768Mi}, {@code 1Gi}, {@code 1G}, bytes) in bytes. */
  private static long bytes(Object quantity) {
    assertThat(quantity).as("a memory quantity").isNotNull();
    Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)([KMGT]i?|k)?").matcher(quantity.toString());
    assertThat(m.matches()).as("memory quantity %s", quantity).isTrue();
    String unit = m.group(2) == null ? "" : m.group(2);
    long factor =
        switch (unit) {
          case "" -> 1L;
          case "k", "K" -> 1_000L;
          case "M" -> 1_000_000L;
          case "G" -> 1_000_000_000L;
          case "T" -> 1_000_000_000_000L;
          case "Ki" -> 1L << 10;
          case "Mi" -> 1L << 20;
          case "Gi" -> 1L << 30;
          case "Ti" -> 1L << 40;
          default -> throw new AssertionError("unit " + unit);
        };
    return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(factor)).longValueExact();
  }
}
