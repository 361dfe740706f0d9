package dev.ferry.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.api.Requests;
import dev.ferry.control.auth.Caller;
import dev.ferry.control.auth.TokenService;
import dev.ferry.control.auth.TokensController;
import dev.ferry.control.endpoints.EndpointService;
import dev.ferry.control.endpoints.EndpointsController;
import dev.ferry.control.jobs.JobErrors;
import dev.ferry.control.jobs.JobRequest;
import dev.ferry.control.jobs.JobService;
import dev.ferry.control.jobs.JobView;
import dev.ferry.control.jobs.JobsController;
import dev.ferry.control.ops.MetricsController;
import dev.ferry.control.ops.OpenApiController;
import dev.ferry.control.sites.SitesController;
import dev.ferry.control.tasks.TaskService;
import dev.ferry.control.tasks.WorkerCallbackController;
import dev.ferry.control.tenants.TenantsController;
import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.JobState;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.Role;
import dev.ferry.model.TaskState;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.ClaimRequest;
import dev.ferry.model.protocol.CompleteRequest;
import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.HeartbeatRequest;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.ReleaseRequest;
import dev.ferry.model.protocol.WorkerProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.RecordComponent;
import java.net.URL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.bind.annotation.ValueConstants;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Keeps the OpenAPI document ({@link OpenApiController#RESOURCE}) honest against the code, without
 * a Spring context: every handler mapping of every {@code @RestController} in {@code
 * dev.ferry.control} is documented and every documented operation is served, with the same path
 * variables, query parameters, headers and bodies; every error is a problem document; schemas list
 * exactly the fields of the records they describe and the enum values the server accepts.
 */
class OpenApiDocumentTest {
  private static final Set<String> HTTP_METHODS =
      Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

  /** Documented operations that Spring Boot Actuator serves, not a Ferry controller. */
  private static final Set<String> ACTUATOR_OPERATIONS =
      Set.of(
          "GET /actuator/health",
          "GET /actuator/health/liveness",
          "GET /actuator/health/readiness");

  /** Headers OpenAPI ignores as parameters; media types and security schemes describe them. */
  private static final Set<String> RESERVED_HEADERS =
      Set.of("accept", "content-type", "authorization");

  private static final String PROBLEM = "#/components/schemas/Problem";
  private static final Pattern TEMPLATE_VARIABLE = Pattern.compile("\\{([^}/]+)}");

  private static final Map<String, Object> DOC = load();
  private static final Map<String, Handler> HANDLERS = scanControllers();

  /** One handler mapping: an HTTP method and a path, served by a controller method. */
  record Handler(String method, String path, Method javaMethod) {
    String key() {
      return method + " " + path;
    }

    boolean has(Class<?> parameterType) {
      return Arrays.asList(javaMethod.getParameterTypes()).contains(parameterType);
    }

    boolean hasAnnotated(Class<? extends Annotation> annotation) {
      return Arrays.stream(javaMethod.getParameters())
          .anyMatch(p -> p.isAnnotationPresent(annotation));
    }

    @Override
    public String toString() {
      return key()
          + " ("
          + javaMethod.getDeclaringClass().getSimpleName()
          + "."
          + javaMethod.getName()
          + ")";
    }
  }

  @Test
  void shouldBeAnOpenApi31DocumentWithoutDuplicateKeys() {
    assertThat(DOC.get("openapi")).asString().startsWith("3.1.");
    assertThat(map(DOC.get("info"))).containsKeys("title", "version");
    assertThat(map(map(DOC.get("components")).get("securitySchemes")))
        .containsKeys("bearerAuth", "webhookId", "webhookTimestamp", "webhookSignature");
  }

  @Test
  void shouldFindTheControllersByScanning() {
    Set<Class<?>> scanned =
        HANDLERS.values().stream()
            .map(h -> h.javaMethod().getDeclaringClass())
            .collect(Collectors.toSet());
    assertThat(scanned)
        .contains(
            JobsController.class,
            TokensController.class,
            TenantsController.class,
            SitesController.class,
            EndpointsController.class,
            WorkerCallbackController.class,
            MetricsController.class,
            OpenApiController.class);
  }

  @Test
  void shouldDocumentEveryControllerMapping() {
    assertThat(HANDLERS.keySet())
        .as("mappings served by controllers but missing from %s", OpenApiController.RESOURCE)
        .isSubsetOf(operations().keySet());
  }

  @Test
  void shouldDocumentOnlyOperationsTheControlPlaneServes() {
    Set<String> unserved = new TreeSet<>(operations().keySet());
    unserved.removeAll(HANDLERS.keySet());
    assertThat(unserved)
        .as("documented operations no controller serves (besides the actuator's)")
        .isEqualTo(new TreeSet<>(ACTUATOR_OPERATIONS));
  }

  @Test
  void shouldDocumentOnlyActuatorEndpointsThatAreExposed() throws IOException {
    Properties app = new Properties();
    try (InputStream in = new ClassPathResource("application.properties").getInputStream()) {
      app.load(in);
    }
    assertThat(app.getProperty("management.endpoints.web.exposure.include", "").split(","))
        .contains("health");
    assertThat(app.getProperty("management.endpoint.health.probes.enabled")).isEqualTo("true");
  }

  @Test
  void shouldDeclarePathVariablesAsTheControllerBindsThem() {
    for (Handler h : HANDLERS.values()) {
      Set<String> template = templateVariables(h.path());
      Set<String> bound = new TreeSet<>();
      for (Parameter p : h.javaMethod().getParameters()) {
        PathVariable pv = AnnotatedElementUtils.findMergedAnnotation(p, PathVariable.class);
        if (pv != null) {
          bound.add(name(pv.name(), p));
        }
      }
      List<Map<String, Object>> documented = parameters(h, "path");
      assertThat(bound).as("@PathVariable of %s", h).isEqualTo(template);
      assertThat(names(documented)).as("path parameters of %s", h).isEqualTo(template);
      assertThat(documented)
          .as("path parameters of %s are required", h)
          .allSatisfy(p -> assertThat(p.get("required")).isEqualTo(true));
    }
  }

  @Test
  void shouldDeclareQueryParametersAsTheControllerBindsThem() {
    for (Handler h : HANDLERS.values()) {
      Map<String, Boolean> bound = new LinkedHashMap<>();
      for (Parameter p : h.javaMethod().getParameters()) {
        RequestParam rp = AnnotatedElementUtils.findMergedAnnotation(p, RequestParam.class);
        if (rp != null) {
          bound.put(
              name(rp.name(), p),
              rp.required() && ValueConstants.DEFAULT_NONE.equals(rp.defaultValue()));
        }
      }
      Map<String, Boolean> documented = new LinkedHashMap<>();
      for (Map<String, Object> p : parameters(h, "query")) {
        documented.put((String) p.get("name"), Boolean.TRUE.equals(p.get("required")));
      }
      assertThat(documented).as("query parameters (name → required) of %s", h).isEqualTo(bound);
    }
  }

  @Test
  void shouldDeclareRequestHeadersAsTheControllerReadsThem() {
    for (Handler h : HANDLERS.values()) {
      Set<String> read = new TreeSet<>();
      for (Parameter p : h.javaMethod().getParameters()) {
        RequestHeader rh = AnnotatedElementUtils.findMergedAnnotation(p, RequestHeader.class);
        if (rh != null) {
          read.add(name(rh.name(), p).toLowerCase(Locale.ROOT));
        }
      }
      read.removeAll(RESERVED_HEADERS);
      Set<String> documented = new TreeSet<>();
      parameters(h, "header").forEach(p -> documented.add(lower(p.get("name"))));
      documented.addAll(apiKeyHeaders(operation(h)));
      assertThat(documented).as("header parameters and signature headers of %s", h).isEqualTo(read);
    }
  }

  @Test
  void shouldDocumentARequestBodyExactlyWhereTheControllerReadsOne() {
    for (Handler h : HANDLERS.values()) {
      assertThat(operation(h).containsKey("requestBody"))
          .as("requestBody of %s", h)
          .isEqualTo(h.hasAnnotated(RequestBody.class));
    }
  }

  @Test
  void shouldDescribeEveryErrorAsAProblemDocument() {
    operations()
        .forEach(
            (key, op) -> {
              Map<?, ?> responses = (Map<?, ?>) op.get("responses");
              assertThat(responses).as("responses of %s", key).isNotEmpty();
              for (Map.Entry<?, ?> r : responses.entrySet()) {
                Object code = r.getKey();
                assertThat(code)
                    .as("status code of %s must be a quoted string", key)
                    .isInstanceOf(String.class);
                assertThat((String) code).as("status code of %s", key).matches("[1-5]\\d\\d");
                int status = Integer.parseInt((String) code);
                if (status < 400 || ACTUATOR_OPERATIONS.contains(key)) {
                  continue;
                }
                String what = key + " " + status;
                Map<String, Object> content = map(resolve(r.getValue()).get("content"));
                assertThat(content)
                    .as("content of %s", what)
                    .containsOnlyKeys("application/problem+json");
                Map<String, Object> media = map(content.get("application/problem+json"));
                assertThat(refersTo(media.get("schema"), PROBLEM, 0))
                    .as("%s refers to %s", what, PROBLEM)
                    .isTrue();
                if (media.get("example") != null) {
                  Map<String, Object> example = map(media.get("example"));
                  assertThat(example.get("status")).as("example of %s", what).isEqualTo(status);
                  assertThat((String) example.get("type"))
                      .as("example of %s", what)
                      .startsWith(ApiProblem.TYPE_BASE);
                }
              }
            });
    Map<String, Object> problem = resolve(Map.of("$ref", PROBLEM));
    assertThat(map(problem.get("properties")))
        .containsOnlyKeys("type", "title", "status", "detail", "instance");
    assertThat(list(problem.get("required"))).containsExactlyInAnyOrder("type", "title", "status");
  }

  @Test
  void shouldListTheErrorsEachHandlerCanRaise() {
    for (Handler h : HANDLERS.values()) {
      Map<String, Object> op = operation(h);
      Set<String> codes = map(op.get("responses")).keySet();
      boolean worker = h.path().startsWith(WorkerProtocol.BASE_PATH + "/");
      if (h.has(Caller.class)) {
        assertThat(codes).as("%s resolves a Caller", h).contains("401", "403");
        assertThat(op.get("security")).as("%s uses the default bearer security", h).isNull();
      } else if (!worker) {
        assertThat(op.get("security")).as("%s is unauthenticated", h).isEqualTo(List.of());
      }
      if (h.hasAnnotated(RequestBody.class)) {
        assertThat(codes).as("%s reads a body", h).contains("400", "413");
      }
      if (h.hasAnnotated(PathVariable.class) && !h.path().startsWith("/api/v1/links/")) {
        // link series are looked up by site names, not ids: an unknown link has no windows
        assertThat(codes).as("%s takes an id", h).contains("400", "404");
      }
      if (worker) {
        assertThat(list(op.get("tags"))).as("tags of %s", h).containsExactly("worker protocol");
        assertThat(list(op.get("security")))
            .as("security of %s", h)
            .containsExactly(
                Map.of(
                    "webhookId",
                    List.of(),
                    "webhookTimestamp",
                    List.of(),
                    "webhookSignature",
                    List.of()));
        assertThat(codes).as("%s is a worker callback", h).contains("401", "409");
        Map<String, Object> conflict = problem(op, "409");
        assertThat(refersTo(conflict.get("schema"), "#/components/schemas/StaleAttemptProblem", 0))
            .as("409 of %s is a stale-attempt problem", h)
            .isTrue();
        assertThat(map(conflict.get("example")).get("type"))
            .isEqualTo(WorkerProtocol.STALE_ATTEMPT);
      }
    }
  }

  @Test
  void shouldDocumentIdempotentJobSubmission() {
    Map<String, Object> submit = operations().get("POST /api/v1/jobs");
    Map<String, Object> responses = map(submit.get("responses"));
    assertThat(responses).containsKeys("200", "201", "422");
    for (String ok : List.of("200", "201")) {
      assertThat(map(resolve(responses.get(ok)).get("headers"))).containsKey("Idempotent-Replayed");
    }
    assertThat(map(problem(submit, "422").get("example")).get("type"))
        .isEqualTo(ApiProblem.TYPE_BASE + "idempotency-key-reused");
  }

  @Test
  void shouldListExactlyTheEnumValuesTheServerAccepts() {
    assertEnum("JobState", JobState.values(), Enum::name);
    assertEnum("TaskState", TaskState.values(), Enum::name);
    assertEnum("Role", Role.values(), Requests::wire);
    assertEnum("TransferMode", TransferMode.values(), Requests::wire);
    assertEnum("ChecksumAlgorithm", ChecksumAlgorithm.values(), Requests::wire);
    assertEnum("OverwritePolicy", OverwritePolicy.values(), Requests::wire);
    assertEnum("Lease/properties/mode", TransferMode.values(), Enum::name);
    assertEnum("Lease/properties/checksum", ChecksumAlgorithm.values(), Enum::name);
    assertEnum("Lease/properties/overwrite", OverwritePolicy.values(), Enum::name);
    assertEnum("FileResult/properties/status", FileResult.Status.values(), Enum::name);
    assertEnum(
        "HeartbeatResponse/properties/action", HeartbeatResponse.Action.values(), Enum::name);
  }

  @Test
  void shouldListExactlyTheFieldsOfEachRecord() {
    Map<String, Class<? extends Record>> records = new LinkedHashMap<>();
    records.put("CreateTenant", TenantsController.CreateTenant.class);
    records.put("Tenant", TenantsController.Tenant.class);
    records.put("CreatedTenant", TenantsController.CreatedTenant.class);
    records.put("CreateToken", TokensController.CreateToken.class);
    records.put("IssuedToken", TokenService.IssuedToken.class);
    records.put("TokenInfo", TokenService.TokenInfo.class);
    records.put("CreateSite", SitesController.CreateSite.class);
    records.put("Site", SitesController.Site.class);
    records.put("CreateEndpoint", EndpointsController.CreateEndpoint.class);
    records.put("Endpoint", EndpointService.Endpoint.class);
    records.put("JobRequest", JobRequest.class);
    records.put("JobSide", JobRequest.Side.class);
    records.put("Job", JobView.class);
    records.put("JobLocation", JobView.Location.class);
    records.put("JobProgress", JobView.Progress.class);
    records.put("JobProgress/properties/files", JobView.Files.class);
    records.put("JobProgress/properties/bytes", JobView.Bytes.class);
    records.put("JobPage", JobService.Page.class);
    records.put("ErrorRecord", JobErrors.class);
    records.put("Task", JobService.TaskView.class);
    records.put("HistoryEntry", JobService.HistoryEntry.class);
    records.put("ClaimRequest", ClaimRequest.class);
    records.put("Lease", Lease.class);
    records.put("EndpointRef", EndpointRef.class);
    records.put("FileItem", FileItem.class);
    records.put("HeartbeatRequest", HeartbeatRequest.class);
    records.put("HeartbeatResponse", HeartbeatResponse.class);
    records.put("CompleteRequest", CompleteRequest.class);
    records.put("FileResult", FileResult.class);
    records.put("FileError", FileResult.FileError.class);
    records.put("ReleaseRequest", ReleaseRequest.class);
    records.put("Completion", TaskService.Completion.class);
    records.forEach(
        (schema, type) -> {
          Map<String, Object> s = schema(schema);
          Set<String> components =
              Arrays.stream(type.getRecordComponents())
                  .map(RecordComponent::getName)
                  .collect(Collectors.toCollection(TreeSet::new));
          assertThat(new TreeSet<>(map(s.get("properties")).keySet()))
              .as("properties of schema %s vs record %s", schema, type.getName())
              .isEqualTo(components);
          if (s.get("required") != null) {
            assertThat(components)
                .as("required of %s", schema)
                .containsAll(strings(s.get("required")));
          }
        });
  }

  @Test
  void shouldResolveEveryReference() {
    List<String> refs = new ArrayList<>();
    collectRefs(DOC, refs);
    assertThat(refs).isNotEmpty();
    for (String ref : refs) {
      assertThat(ref).as("only local references").startsWith("#/");
      assertThat(pointer(ref)).as("target of %s", ref).isNotNull();
    }
  }

  @Test
  void shouldNameOperationsUniquelyAndTagThemWithDeclaredTags() {
    Set<String> tags = new HashSet<>();
    list(DOC.get("tags")).forEach(t -> tags.add((String) map(t).get("name")));
    Set<String> ids = new HashSet<>();
    operations()
        .forEach(
            (key, op) -> {
              assertThat(ids.add((String) op.get("operationId")))
                  .as("operationId of %s is present and unique", key)
                  .isTrue();
              assertThat(strings(op.get("tags")))
                  .as("tags of %s", key)
                  .isNotEmpty()
                  .isSubsetOf(tags);
            });
  }

  @Test
  void shouldServeTheDocumentAsYamlWhateverTheClientAccepts() throws Exception {
    byte[] document;
    try (InputStream in = new ClassPathResource(OpenApiController.RESOURCE).getInputStream()) {
      document = in.readAllBytes();
    }
    MockMvc mvc = MockMvcBuilders.standaloneSetup(new OpenApiController()).build();
    for (String accept : List.of("*/*", "application/yaml", "application/json", "text/html")) {
      MockHttpServletResponse response =
          mvc.perform(get("/api/v1/openapi.yaml").header("Accept", accept))
              .andReturn()
              .getResponse();
      assertThat(response.getStatus()).as("status for Accept: %s", accept).isEqualTo(200);
      assertThat(response.getContentType())
          .as("type for Accept: %s", accept)
          .isEqualTo("application/yaml");
      assertThat(response.getContentAsByteArray()).isEqualTo(document);
    }
  }

  // --- the controllers -------------------------------------------------------------------------

  private static Map<String, Handler> scanControllers() {
    ClassPathScanningCandidateComponentProvider scanner =
        new ClassPathScanningCandidateComponentProvider(false);
    scanner.addIncludeFilter(new AnnotationTypeFilter(RestController.class));
    Map<String, Handler> handlers = new LinkedHashMap<>();
    for (BeanDefinition bd : scanner.findCandidateComponents("dev.ferry.control")) {
      Class<?> type = load(bd.getBeanClassName());
      if (isTestClass(type)) {
        continue;
      }
      RequestMapping typeLevel =
          AnnotatedElementUtils.findMergedAnnotation(type, RequestMapping.class);
      List<String> prefixes =
          typeLevel == null || typeLevel.path().length == 0
              ? List.of("")
              : List.of(typeLevel.path());
      if (typeLevel != null && typeLevel.method().length > 0) {
        throw new AssertionError(type.getName() + " restricts HTTP methods at type level");
      }
      for (Method m : type.getDeclaredMethods()) {
        RequestMapping rm = AnnotatedElementUtils.findMergedAnnotation(m, RequestMapping.class);
        if (rm == null || m.isSynthetic()) {
          continue;
        }
        if (rm.method().length == 0) {
          throw new AssertionError(
              type.getSimpleName() + "." + m.getName() + " maps every HTTP method; name one");
        }
        List<String> paths = rm.path().length == 0 ? List.of("") : List.of(rm.path());
        for (String prefix : prefixes) {
          for (String path : paths) {
            for (var method : rm.method()) {
              Handler h = new Handler(method.name(), join(prefix, path), m);
              Handler earlier = handlers.put(h.key(), h);
              if (earlier != null) {
                throw new AssertionError(h + " is also mapped by " + earlier);
              }
            }
          }
        }
      }
    }
    return handlers;
  }

  private static Class<?> load(String name) {
    try {
      return Class.forName(name);
    } catch (ClassNotFoundException e) {
      throw new AssertionError("scanned class " + name + " does not load", e);
    }
  }

  /** Controllers that tests declare for themselves are not part of the API. */
  private static boolean isTestClass(Class<?> type) {
    URL location = type.getProtectionDomain().getCodeSource().getLocation();
    return location != null && location.getPath().contains("test-classes");
  }

  private static String join(String prefix, String path) {
    String p = path.isEmpty() || path.startsWith("/") ? path : "/" + path;
    String joined = prefix + p;
    return joined.isEmpty() ? "/" : joined;
  }

  private static String name(String annotated, Parameter p) {
    if (!annotated.isEmpty()) {
      return annotated;
    }
    if (!p.isNamePresent()) {
      throw new AssertionError(
          "parameter names are not compiled in (-parameters); cannot name " + p);
    }
    return p.getName();
  }

  private static Set<String> templateVariables(String path) {
    Set<String> vars = new TreeSet<>();
    Matcher m = TEMPLATE_VARIABLE.matcher(path);
    while (m.find()) {
      vars.add(m.group(1));
    }
    return vars;
  }

  // --- the document ----------------------------------------------------------------------------

  private static Map<String, Object> load() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    try (InputStream in = new ClassPathResource(OpenApiController.RESOURCE).getInputStream()) {
      return map(new Yaml(new SafeConstructor(options)).load(in));
    } catch (IOException e) {
      throw new AssertionError("cannot read " + OpenApiController.RESOURCE, e);
    }
  }

  /** Every documented operation as "METHOD /path". */
  private static Map<String, Map<String, Object>> operations() {
    Map<String, Map<String, Object>> ops = new LinkedHashMap<>();
    map(DOC.get("paths"))
        .forEach(
            (path, item) ->
                map(item)
                    .forEach(
                        (method, op) -> {
                          if (HTTP_METHODS.contains(method)) {
                            ops.put(method.toUpperCase(Locale.ROOT) + " " + path, map(op));
                          }
                        }));
    return ops;
  }

  private static Map<String, Object> operation(Handler h) {
    Map<String, Object> op = operations().get(h.key());
    if (op == null) {
      throw new AssertionError(h + " is not documented");
    }
    return op;
  }

  /**
   * The parameters of {@code h}'s operation in {@code in}: the path item's, then the operation's.
   */
  private static List<Map<String, Object>> parameters(Handler h, String in) {
    Map<String, Object> item = map(map(DOC.get("paths")).get(h.path()));
    List<Object> all = new ArrayList<>();
    if (item.get("parameters") != null) {
      all.addAll(list(item.get("parameters")));
    }
    if (operation(h).get("parameters") != null) {
      all.addAll(list(operation(h).get("parameters")));
    }
    return all.stream()
        .map(OpenApiDocumentTest::resolve)
        .filter(p -> in.equals(p.get("in")))
        .toList();
  }

  private static Set<String> names(List<Map<String, Object>> parameters) {
    return parameters.stream()
        .map(p -> (String) p.get("name"))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The {@code application/problem+json} media type of an operation's response. */
  private static Map<String, Object> problem(Map<String, Object> op, String status) {
    Map<String, Object> response = resolve(map(op.get("responses")).get(status));
    return map(map(response.get("content")).get("application/problem+json"));
  }

  /** Header names of the apiKey security schemes an operation requires. */
  private static Set<String> apiKeyHeaders(Map<String, Object> op) {
    Set<String> headers = new TreeSet<>();
    Object security = op.containsKey("security") ? op.get("security") : DOC.get("security");
    Map<String, Object> schemes = map(map(DOC.get("components")).get("securitySchemes"));
    for (Object requirement : list(security)) {
      for (String scheme : map(requirement).keySet()) {
        Map<String, Object> s = map(schemes.get(scheme));
        assertThat(s).as("security scheme %s", scheme).isNotNull();
        if ("apiKey".equals(s.get("type")) && "header".equals(s.get("in"))) {
          headers.add(lower(s.get("name")));
        }
      }
    }
    return headers;
  }

  private static <E extends Enum<E>> void assertEnum(
      String schema, E[] values, Function<E, String> wire) {
    assertThat(strings(schema(schema).get("enum")))
        .as("enum of %s", schema)
        .containsExactlyInAnyOrder(Arrays.stream(values).map(wire).toArray(String[]::new));
  }

  /** A schema by name under components/schemas, optionally followed by a deeper path. */
  private static Map<String, Object> schema(String path) {
    Map<String, Object> s = pointer("#/components/schemas/" + path);
    if (s == null) {
      throw new AssertionError("no schema " + path);
    }
    return s;
  }

  /** True when {@code schema} is, or is built with allOf from, a reference to {@code target}. */
  private static boolean refersTo(Object schema, String target, int depth) {
    if (!(schema instanceof Map<?, ?> s) || depth > 8) {
      return false;
    }
    Object ref = s.get("$ref");
    if (ref != null) {
      return ref.equals(target) || refersTo(pointer((String) ref), target, depth + 1);
    }
    return s.get("allOf") != null
        && list(s.get("allOf")).stream().anyMatch(part -> refersTo(part, target, depth + 1));
  }

  private static Map<String, Object> resolve(Object node) {
    Map<String, Object> m = map(node);
    for (int i = 0; m != null && m.get("$ref") != null; i++) {
      if (i > 8) {
        throw new AssertionError("reference cycle at " + m.get("$ref"));
      }
      m = pointer((String) m.get("$ref"));
    }
    return m;
  }

  /** The node a local JSON pointer reference names, or null. */
  private static Map<String, Object> pointer(String ref) {
    Object node = DOC;
    for (String token : ref.substring(2).split("/")) {
      if (!(node instanceof Map<?, ?> m)) {
        return null;
      }
      node = m.get(token.replace("~1", "/").replace("~0", "~"));
    }
    return map(node);
  }

  private static void collectRefs(Object node, List<String> refs) {
    if (node instanceof Map<?, ?> m) {
      m.forEach(
          (k, v) -> {
            if ("$ref".equals(k)) {
              refs.add((String) v);
            } else {
              collectRefs(v, refs);
            }
          });
    } else if (node instanceof List<?> l) {
      l.forEach(v -> collectRefs(v, refs));
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node) {
    return (Map<String, Object>) node;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object node) {
    return (List<Object>) node;
  }

  private static List<String> strings(Object node) {
    return list(node).stream().map(String::valueOf).toList();
  }

  private static String lower(Object text) {
    return ((String) text).toLowerCase(Locale.ROOT);
  }
}
