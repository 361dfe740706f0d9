package dev.ferry.worker;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.model.protocol.ClaimRequest;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.TaskDispatched;
import dev.ferry.worker.WorkerListener.Outcome;
import dev.ferry.worker.WorkerListener.StopReason;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A transfer worker: consumes {@code task.dispatched} events from {@link Topics#TASKS}, claims each
 * task that is for its site, executes the lease and reports.
 *
 * <p><b>Site.</b> A task executes at its <em>destination</em> site ({@link
 * WorkerConfig#executesFor}): the worker that writes locally can publish atomically and verify by
 * reading back cheaply. A worker without a site executes every task.
 *
 * <p><b>Consuming.</b> One consumer thread, group {@code ferry-worker-<site|all>}, manual commits,
 * {@code read_committed}. A record is committed once it is handed to the task pool (or skipped):
 * the claim, not the offset, guards against double execution, and a task whose worker died before
 * claiming is re-dispatched by the control plane. When all {@code concurrency} slots are busy the
 * consumer pauses its partitions (still polling, so it stays in the group) and resumes when a slot
 * frees. A task holds its slot (and its link permit, below) while it copies, not while it reports:
 * the report's round trip to the control plane overlaps with the next task's claim and copy. The
 * task pool has twice as many threads as slots for that. Records that are not a version-1 task
 * dispatch are logged, counted and skipped.
 *
 * <p><b>Links.</b> A task also needs a permit of its link ({@code SRC->DST}) from the {@link
 * LinkLimiter}: per-link limits, fixed or adaptive ({@link WorkerConfig#adaptiveConcurrency()}),
 * and optional per-link bandwidth. A record whose link is at its limit waits in the consumer's
 * buffer while records of other links behind it go ahead; offsets are committed only up to the
 * first record still waiting in each partition, and only partitions with waiting records are
 * paused.
 *
 * <p><b>Telemetry.</b> A started worker produces one {@link AttemptFinished} per claimed attempt to
 * {@code ferry.attempts} ({@link WorkerConfig#attemptTelemetry()}); producing never fails a task.
 * Kafka is contacted only from {@link #start()} on: a worker that only runs {@link #handle} calls
 * sends no telemetry.
 *
 * <p><b>Housekeeping.</b> Temporary objects left in the destination directories by writers that
 * died are removed once they are old enough ({@link TemporaryFileSweeper}): before a task writes
 * into a directory, and periodically for the directories this worker wrote to.
 *
 * <p><b>Duplicates.</b> A delivery whose claim answers 409, or whose attempt is already running
 * here, is skipped silently and counted ({@link WorkerListener#duplicateSkipped}).
 *
 * <p><b>Shutdown.</b> {@link #close()} stops consuming, waits up to {@link
 * WorkerConfig#shutdownTimeout()} for running tasks, then stops the rest at their next buffer
 * boundary (interrupting blocked reads), aborts their temporary objects and releases their leases.
 *
 * <p>Thread-safe. {@link #start()} at most once; {@link #close()} is idempotent.
 */
public final class Worker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration PAUSED_POLL = Duration.ofMillis(50);
  private static final Duration RELEASE_GRACE = Duration.ofSeconds(5);

  private record AttemptKey(UUID taskId, int attempt) {}

  /** A consumed record and, when it is a task dispatch, the task. */
  private record Pending(ConsumerRecord<String, byte[]> record, TaskDispatched task) {
    TopicPartition partition() {
      return new TopicPartition(record.topic(), record.partition());
    }
  }

  private final WorkerConfig config;
  private final WorkerListener listener;
  private final EndpointOpener endpoints;
  private final ControlPlaneClient client;
  private final Supplier<Consumer<String, byte[]>> consumerFactory;
  private final FileCopier copier = new FileCopier();
  private final JsonMapper json = Json.mapper();

  private final Semaphore slots;
  private final ThreadPoolExecutor pool;
  private final ScheduledThreadPoolExecutor scheduler;
  private final ThreadPoolExecutor filePool;
  private final LinkLimiter links;
  private final TemporaryFileSweeper sweeper;
  private final TaskExecution.Services services;
  private final AttemptTelemetry injectedTelemetry;
  private volatile AttemptTelemetry telemetry = AttemptTelemetry.NOOP;
  private final Set<AttemptKey> inFlight = ConcurrentHashMap.newKeySet();
  private final Map<AttemptKey, TaskExecution> executions = new ConcurrentHashMap<>();

  // consumer-thread state; rebalance callbacks run inside poll() on that thread
  private final Deque<Pending> pending = new ArrayDeque<>();
  private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
  private final Map<TopicPartition, Long> highestTaken = new HashMap<>(); // out of pending

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean closing;
  private volatile Consumer<String, byte[]> consumer;
  private volatile Thread consumerThread;

  /** A worker that opens endpoints by URI and reports nowhere but the log. */
  public Worker(WorkerConfig config) {
    this(config, WorkerListener.NOOP);
  }

  public Worker(WorkerConfig config, WorkerListener listener) {
    this(config, listener, EndpointOpener.DEFAULT);
  }

  public Worker(WorkerConfig config, WorkerListener listener, EndpointOpener endpoints) {
    this(
        config,
        listener,
        endpoints,
        new ControlPlaneClient(config.controlPlaneUrl(), config.webhookSecret(), config.clock()),
        null);
  }

  /**
   * For tests: a given client and, when not null, a given Kafka consumer. A worker whose consumer
   * is substituted talks to no Kafka at all: it sends no attempt telemetry.
   */
  Worker(
      WorkerConfig config,
      WorkerListener listener,
      EndpointOpener endpoints,
      ControlPlaneClient client,
      Supplier<Consumer<String, byte[]>> consumerFactory) {
    this(
        config,
        listener,
        endpoints,
        client,
        consumerFactory,
        consumerFactory == null ? null : AttemptTelemetry.NOOP);
  }

  /**
   * For tests: as above, and when {@code telemetry} is not null, attempt events go there from the
   * start (also for {@link #handle} without {@link #start()}); the worker closes it.
   */
  Worker(
      WorkerConfig config,
      WorkerListener listener,
      EndpointOpener endpoints,
      ControlPlaneClient client,
      Supplier<Consumer<String, byte[]>> consumerFactory,
      AttemptTelemetry telemetry) {
    this.config = config;
    this.listener = new SafeListener(listener);
    this.endpoints = endpoints;
    this.client = client;
    this.consumerFactory = consumerFactory != null ? consumerFactory : this::newKafkaConsumer;
    int n = config.concurrency();
    this.slots = new Semaphore(n);
    // twice the slots: a task gives its slot back when its copying ends, so up to n tasks copy
    // while others still report
    this.pool =
        new ThreadPoolExecutor(
            2 * n, 2 * n, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads("task"));
    this.scheduler = new ScheduledThreadPoolExecutor(Math.min(n, 4), threads("heartbeat"));
    this.scheduler.setRemoveOnCancelPolicy(true);
    // helpers of batch tasks; a task whose helpers are refused copies its files itself
    this.filePool =
        new ThreadPoolExecutor(
            0,
            Math.max(1, n * (config.fileConcurrency() - 1)),
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            threads("file"));
    this.links = LinkLimiter.of(config, this.listener);
    this.sweeper =
        new TemporaryFileSweeper(
            config.temporaryFileAge(),
            config.temporaryFileSweepInterval(),
            config.clock(),
            endpoints);
    this.services =
        new TaskExecution.Services(
            config.workerId(),
            config.clock(),
            config.heartbeatInterval(),
            client,
            endpoints,
            copier,
            this.listener,
            config.fileConcurrency(),
            filePool,
            sweeper,
            config.rangesPerFile());
    this.injectedTelemetry = telemetry;
    if (telemetry != null) {
      this.telemetry = telemetry;
    }
  }

  public WorkerConfig config() {
    return config;
  }

  /**
   * True while the consumer thread runs: started, not closed, and not stopped by a fatal consumer
   * error (which is logged). For health checks.
   */
  public boolean isConsuming() {
    Thread t = consumerThread;
    return t != null && t.isAlive() && !closing;
  }

  /** Attempts currently executing (claimed and not yet finished). */
  public int activeTasks() {
    return executions.size();
  }

  /** The current concurrency limit of {@code link} ({@code SRC->DST}) in this worker. */
  public int linkLimit(String link) {
    return links.limit(link);
  }

  /** Attempt-telemetry events that could not be produced so far. */
  public long telemetryFailures() {
    return telemetry.failures();
  }

  /**
   * Starts the consumer thread.
   *
   * @throws IllegalStateException when already started or closed
   */
  public void start() {
    if (closed.get()) {
      throw new IllegalStateException("worker " + config.workerId() + " is closed");
    }
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("worker " + config.workerId() + " is already started");
    }
    if (injectedTelemetry == null && config.attemptTelemetry()) {
      telemetry = KafkaAttemptTelemetry.create(config, listener);
    }
    consumer = consumerFactory.get();
    long sweepNanos = config.temporaryFileSweepInterval().toNanos();
    scheduler.scheduleWithFixedDelay(
        this::sweepTemporaryFiles, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
    Thread t = new Thread(this::consume, "ferry-worker-consumer-" + config.workerId());
    t.setDaemon(true);
    consumerThread = t;
    t.start();
    log.info(
        "worker {} consuming {} as group {} for {} with {} slots",
        config.workerId(),
        Topics.TASKS,
        config.consumerGroup(),
        config.site() == null ? "all sites" : "site " + config.site(),
        config.concurrency());
  }

  private void sweepTemporaryFiles() {
    try {
      sweeper.sweepRemembered();
    } catch (RuntimeException e) {
      log.warn("worker {}: sweeping temporary files failed", config.workerId(), e);
    }
  }

  // --- task handling ---------------------------------------------------------------------------

  /**
   * Handles one dispatch on the calling thread: skips it when it is for another site, waits for a
   * permit of its link, skips it when it is already running here, claims it, runs the attempt and
   * reports. Returns when the attempt is over for this worker (at once, doing nothing, when the
   * thread is interrupted while it waits for the link). The consumer runs tasks on its pool with a
   * permit it already holds; tests and embedders may call this directly.
   */
  public void handle(TaskDispatched task) {
    if (!config.executesFor(task.destinationSite())) {
      listener.otherSiteSkipped(task);
      return;
    }
    LinkLimiter.Permit permit;
    try {
      permit = links.acquire(linkOf(task));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    execute(task, permit, () -> {});
  }

  private static String linkOf(TaskDispatched task) {
    return Topics.linkKey(task.sourceSite(), task.destinationSite());
  }

  /**
   * Runs a task of this site holding its link's permit, which it always gives back: when the copy
   * ends (see {@link #copyDone}), or at the latest when the attempt ends. {@code freeSlot} gives
   * the consumer's slot back at the same moment (idempotent; the caller runs it again at the end).
   */
  private void execute(TaskDispatched task, LinkLimiter.Permit permit, Runnable freeSlot) {
    try (permit) {
      attempt(task, permit, freeSlot);
    }
  }

  /**
   * The copying of an attempt is over: its link permit is released (with the attempt's outcome for
   * the adaptive limit, unless it was stopped) and its slot freed, before the report, so that the
   * report's round trip overlaps with the next task's claim and copy. Limits count tasks that copy.
   */
  private static void copyDone(
      TaskExecution execution, LinkLimiter.Permit permit, Runnable freeSlot) {
    try {
      if (execution.stopRequested()) {
        permit.close();
      } else {
        int succeeded = 0;
        int retryable = 0;
        for (FileResult r : execution.results()) {
          if (r.status() != FileResult.Status.FAILED) {
            succeeded++;
          } else if (r.error() != null && r.error().retryable()) {
            retryable++;
          }
        }
        permit.finish(succeeded, retryable, execution.bytesOnWire());
      }
    } finally {
      freeSlot.run();
    }
  }

  private void attempt(TaskDispatched task, LinkLimiter.Permit permit, Runnable freeSlot) {
    AttemptKey key = new AttemptKey(task.taskId(), task.attempt());
    if (!inFlight.add(key)) {
      log.debug("task {} attempt {} already running here", task.taskId(), task.attempt());
      listener.duplicateSkipped(task);
      return;
    }
    try {
      if (closing) {
        return; // shutting down: leave it to another worker
      }
      Lease lease;
      try {
        lease = client.claim(task.taskId(), new ClaimRequest(config.workerId(), task.attempt()));
      } catch (StaleAttemptException e) {
        log.debug(
            "task {} attempt {}: duplicate delivery ({})",
            task.taskId(),
            task.attempt(),
            e.getMessage());
        listener.duplicateSkipped(task);
        return;
      } catch (ControlPlaneException e) {
        log.warn(
            "task {} attempt {}: claim failed: {}", task.taskId(), task.attempt(), e.getMessage());
        listener.claimFailed(task, e);
        return;
      }
      TaskExecution execution =
          new TaskExecution(
              lease,
              services,
              links.bandwidth(permit.link()).orElse(null),
              e -> copyDone(e, permit, freeSlot));
      executions.put(key, execution);
      try {
        listener.claimed(lease);
        Outcome outcome;
        if (closing) {
          // claimed while close() ran: give it back at once
          execution.requestStop(StopReason.SHUTDOWN);
          outcome = execution.release();
        } else {
          outcome = execution.run(scheduler);
        }
        finished(task, execution, outcome, permit);
      } finally {
        executions.remove(key);
        synchronized (executions) {
          executions.notifyAll();
        }
      }
    } finally {
      inFlight.remove(key);
    }
  }

  /** Feeds the attempt's outcome to its link's limit and produces its telemetry event. */
  private void finished(
      TaskDispatched task, TaskExecution execution, Outcome outcome, LinkLimiter.Permit permit) {
    List<FileResult> results = execution.results();
    int succeeded = 0;
    int failed = 0;
    int retryable = 0;
    String errorClass = null;
    for (FileResult r : results) {
      if (r.status() == FileResult.Status.FAILED) {
        failed++;
        if (r.error() != null) {
          retryable += r.error().retryable() ? 1 : 0;
          if (errorClass == null) {
            errorClass = r.error().errorClass();
          }
        }
      } else {
        succeeded++;
      }
    }
    long bytes = execution.bytesOnWire(); // the link permit was settled when the copy ended
    AttemptFinished.Outcome wire =
        switch (outcome) {
          case COMPLETED ->
              failed > 0 ? AttemptFinished.Outcome.FAILED : AttemptFinished.Outcome.COMPLETED;
          case CANCELLED -> AttemptFinished.Outcome.CANCELLED;
          case RELEASED -> AttemptFinished.Outcome.RELEASED;
          case ABANDONED, UNREPORTED -> AttemptFinished.Outcome.ABANDONED;
        };
    Lease lease = execution.lease();
    AttemptFinished event =
        new AttemptFinished(
            lease.taskId(),
            lease.jobId() != null ? lease.jobId() : task.jobId(),
            lease.attempt(),
            config.workerId(),
            task.sourceSite(),
            task.destinationSite(),
            lease.files() == null ? 0 : lease.files().size(),
            succeeded,
            failed,
            bytes,
            execution.durationMillis(),
            wire.wireName(),
            errorClass,
            retryable,
            task.tenant());
    try {
      telemetry.attemptFinished(event);
    } catch (RuntimeException e) {
      log.warn("task {}: attempt telemetry failed: {}", lease.taskId(), e.toString());
    }
  }

  // --- consuming -------------------------------------------------------------------------------

  private Consumer<String, byte[]> newKafkaConsumer() {
    Map<String, Object> props = new HashMap<>(config.kafkaProperties());
    props.putIfAbsent(
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(10, 2 * config.concurrency()));
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "ferry-worker-" + config.workerId());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.consumerGroup());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return new KafkaConsumer<>(props);
  }

  private void consume() {
    Consumer<String, byte[]> c = consumer;
    try {
      c.subscribe(List.of(Topics.TASKS), new Rebalance(c));
      while (!closing) {
        pauseWaiting(c);
        ConsumerRecords<String, byte[]> records;
        try {
          records = c.poll(pending.isEmpty() ? POLL : PAUSED_POLL);
        } catch (WakeupException e) {
          continue; // close() woke us; the loop condition decides
        }
        for (ConsumerRecord<String, byte[]> r : records) {
          pending.addLast(new Pending(r, decode(r).orElse(null)));
        }
        handOff();
        pauseWaiting(c);
        commit(c, false);
      }
      commit(c, true);
    } catch (RuntimeException e) {
      log.error("worker {}: task consumer stopped", config.workerId(), e);
    } finally {
      try {
        c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        log.debug("closing the consumer failed", e);
      }
    }
  }

  /**
   * Pauses the partitions that have records waiting (all of them when no slot is free) and resumes
   * the others.
   */
  private void pauseWaiting(Consumer<String, byte[]> c) {
    Set<TopicPartition> waiting = new HashSet<>();
    if (!pending.isEmpty() && slots.availablePermits() == 0) {
      waiting.addAll(c.assignment());
    } else {
      pending.forEach(p -> waiting.add(p.partition()));
    }
    waiting.retainAll(c.assignment());
    Set<TopicPartition> resume = new HashSet<>(c.paused());
    resume.removeAll(waiting);
    if (!resume.isEmpty()) {
      c.resume(resume);
    }
    waiting.removeAll(c.paused());
    if (!waiting.isEmpty()) {
      c.pause(waiting);
    }
  }

  /**
   * Hands pending records to the pool in order while slots are free, passing over records whose
   * link is at its limit; then records the offsets that are safe to commit.
   */
  private void handOff() {
    Set<TopicPartition> handled = new HashSet<>();
    Iterator<Pending> it = pending.iterator();
    while (it.hasNext()) {
      Pending p = it.next();
      TaskDispatched t = p.task();
      if (t != null && config.executesFor(t.destinationSite())) {
        if (!slots.tryAcquire()) {
          break; // backpressure: the partitions are paused
        }
        Optional<LinkLimiter.Permit> permit = links.tryAcquire(linkOf(t));
        if (permit.isEmpty()) {
          slots.release();
          continue; // its link is busy: it waits, the records of other links go ahead
        }
        AtomicBoolean slotFree = new AtomicBoolean();
        Runnable freeSlot =
            () -> {
              if (slotFree.compareAndSet(false, true)) {
                slots.release();
              }
            };
        try {
          pool.execute(
              () -> {
                try {
                  execute(t, permit.get(), freeSlot);
                } catch (RuntimeException e) {
                  log.error("task {} attempt {} failed unexpectedly", t.taskId(), t.attempt(), e);
                } finally {
                  freeSlot.run();
                }
              });
        } catch (RejectedExecutionException e) {
          permit.get().close();
          freeSlot.run();
          break; // closing
        }
      } else if (t != null) {
        listener.otherSiteSkipped(t);
      }
      it.remove();
      handled.add(p.partition());
      highestTaken.merge(p.partition(), p.record().offset(), Math::max);
    }
    // commit up to the first record still waiting in a partition, else past the last one taken
    Map<TopicPartition, Long> firstWaiting = new HashMap<>();
    for (Pending p : pending) {
      firstWaiting.merge(p.partition(), p.record().offset(), Math::min);
    }
    for (TopicPartition tp : handled) {
      Long waiting = firstWaiting.get(tp);
      long next = waiting != null ? waiting : highestTaken.get(tp) + 1;
      toCommit.merge(tp, new OffsetAndMetadata(next), (a, b) -> a.offset() >= b.offset() ? a : b);
    }
  }

  private Optional<TaskDispatched> decode(ConsumerRecord<String, byte[]> record) {
    String where = record.topic() + "-" + record.partition() + "@" + record.offset();
    try {
      if (record.value() == null) {
        return rejected(where, "empty record");
      }
      Envelope envelope = json.readValue(record.value(), Envelope.class);
      if (!EventTypes.TASK_DISPATCHED.equals(envelope.type())) {
        return rejected(where, "unexpected type " + envelope.type());
      }
      String schema = envelope.dataschema();
      if (schema != null && !schema.equals(EventTypes.schemaV1(EventTypes.TASK_DISPATCHED))) {
        return rejected(where, "unknown schema " + schema);
      }
      TaskDispatched task =
          envelope.data() == null ? null : json.treeToValue(envelope.data(), TaskDispatched.class);
      if (task == null || task.taskId() == null || task.attempt() < 1) {
        return rejected(where, "task.dispatched without task id or attempt");
      }
      return Optional.of(task.tenant() == null ? task.withTenant(envelope.tenant()) : task);
    } catch (JacksonException | IllegalArgumentException | NullPointerException e) {
      return rejected(where, "unreadable: " + e.getMessage());
    }
  }

  private Optional<TaskDispatched> rejected(String where, String reason) {
    log.warn("worker {}: skipping record {}: {}", config.workerId(), where, reason);
    listener.recordRejected(reason);
    return Optional.empty();
  }

  private void commit(Consumer<String, byte[]> c, boolean sync) {
    if (toCommit.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = Map.copyOf(toCommit);
    toCommit.clear();
    try {
      if (sync) {
        c.commitSync(offsets);
      } else {
        c.commitAsync(
            offsets,
            (committed, error) -> {
              if (error != null) {
                log.warn(
                    "worker {}: offset commit failed: {}", config.workerId(), error.toString());
              }
            });
      }
    } catch (RuntimeException e) {
      // the records are re-delivered; the claim turns them into duplicates
      log.warn("worker {}: offset commit failed: {}", config.workerId(), e.toString());
    }
  }

  /** Keeps pending records and offsets consistent with the assignment. */
  private final class Rebalance implements ConsumerRebalanceListener {
    private final Consumer<String, byte[]> c;

    Rebalance(Consumer<String, byte[]> c) {
      this.c = c;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata o = toCommit.remove(tp);
        if (o != null) {
          mine.put(tp, o);
        }
      }
      drop(partitions);
      if (!mine.isEmpty()) {
        try {
          c.commitSync(mine);
        } catch (RuntimeException e) {
          log.warn("worker {}: commit on revocation failed: {}", config.workerId(), e.toString());
        }
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      partitions.forEach(toCommit::remove);
      drop(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (!pending.isEmpty() && slots.availablePermits() == 0) {
        c.pause(partitions);
      }
    }

    private void drop(Collection<TopicPartition> partitions) {
      Set<TopicPartition> gone = new HashSet<>(partitions);
      highestTaken.keySet().removeAll(gone);
      pending.removeIf(p -> gone.contains(p.partition()));
    }
  }

  // --- shutdown --------------------------------------------------------------------------------

  /**
   * Stops consuming, waits up to the shutdown timeout for running tasks, then stops the rest,
   * aborting their temporary objects and releasing their leases. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closing = true;
    long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
    Consumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    Thread t = consumerThread;
    if (t != null) {
      joinQuietly(t, deadline);
    }
    pool.shutdown();
    if (!awaitNoExecutions(deadline)) {
      List<TaskExecution> running = new ArrayList<>(executions.values());
      log.info(
          "worker {}: {} tasks still running after {}, stopping them",
          config.workerId(),
          running.size(),
          config.shutdownTimeout());
      for (TaskExecution e : running) {
        e.requestStop(StopReason.SHUTDOWN);
        e.interruptIfCopying();
      }
      long grace =
          System.nanoTime() + Math.min(config.shutdownTimeout().toNanos(), RELEASE_GRACE.toNanos());
      if (!awaitNoExecutions(grace)) {
        for (TaskExecution e : new ArrayList<>(executions.values())) {
          log.warn(
              "worker {}: task {} attempt {} did not stop; releasing its lease",
              config.workerId(),
              e.lease().taskId(),
              e.lease().attempt());
          e.release();
        }
      }
    }
    pool.shutdownNow();
    filePool.shutdownNow();
    scheduler.shutdownNow();
    telemetry.close();
    log.info("worker {} closed", config.workerId());
  }

  private boolean awaitNoExecutions(long deadlineNanos) {
    synchronized (executions) {
      while (!executions.isEmpty()) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(executions, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  private static void joinQuietly(Thread t, long deadlineNanos) {
    try {
      long left = deadlineNanos - System.nanoTime();
      if (left > 0) {
        TimeUnit.NANOSECONDS.timedJoin(t, left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ThreadFactory threads(String kind) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "ferry-worker-" + kind + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public String toString() {
    return "Worker["
        + config.workerId()
        + ", site="
        + (config.site() == null ? "all" : config.site())
        + ", active="
        + executions.size()
        + "]";
  }
}
