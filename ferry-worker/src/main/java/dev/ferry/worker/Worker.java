package dev.ferry.worker;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.EventTypes;
import dev.ferry.model.event.Topics;
import dev.ferry.model.protocol.ClaimRequest;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.TaskDispatched;
import dev.ferry.worker.WorkerListener.StopReason;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
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
 * frees. Records that are not a version-1 task dispatch are logged, counted and skipped.
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
  private final Set<AttemptKey> inFlight = ConcurrentHashMap.newKeySet();
  private final Map<AttemptKey, TaskExecution> executions = new ConcurrentHashMap<>();

  // consumer-thread state; rebalance callbacks run inside poll() on that thread
  private final Deque<ConsumerRecord<String, byte[]>> pending = new ArrayDeque<>();
  private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();

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

  /** For tests: a given client and, when not null, a given Kafka consumer. */
  Worker(
      WorkerConfig config,
      WorkerListener listener,
      EndpointOpener endpoints,
      ControlPlaneClient client,
      Supplier<Consumer<String, byte[]>> consumerFactory) {
    this.config = config;
    this.listener = new SafeListener(listener);
    this.endpoints = endpoints;
    this.client = client;
    this.consumerFactory = consumerFactory != null ? consumerFactory : this::newKafkaConsumer;
    int n = config.concurrency();
    this.slots = new Semaphore(n);
    this.pool =
        new ThreadPoolExecutor(
            n, n, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads("task"));
    this.scheduler = new ScheduledThreadPoolExecutor(Math.min(n, 4), threads("heartbeat"));
    this.scheduler.setRemoveOnCancelPolicy(true);
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
    consumer = consumerFactory.get();
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

  // --- task handling ---------------------------------------------------------------------------

  /**
   * Handles one dispatch on the calling thread: skips it when it is for another site or already
   * running here, claims it, runs the attempt and reports. Returns when the attempt is over for
   * this worker. The consumer calls this on the task pool; tests may call it directly.
   */
  public void handle(TaskDispatched task) {
    if (!config.executesFor(task.destinationSite())) {
      listener.otherSiteSkipped(task);
      return;
    }
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
              config.workerId(),
              config.clock(),
              config.heartbeatInterval(),
              client,
              endpoints,
              copier,
              listener);
      executions.put(key, execution);
      try {
        listener.claimed(lease);
        if (closing) {
          // claimed while close() ran: give it back at once
          execution.requestStop(StopReason.SHUTDOWN);
          execution.release();
          return;
        }
        execution.run(scheduler);
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
        if (!pending.isEmpty()) {
          c.pause(c.assignment());
        }
        ConsumerRecords<String, byte[]> records;
        try {
          records = c.poll(pending.isEmpty() ? POLL : PAUSED_POLL);
        } catch (WakeupException e) {
          continue; // close() woke us; the loop condition decides
        }
        records.forEach(pending::addLast);
        handOff();
        if (pending.isEmpty() && !c.paused().isEmpty()) {
          c.resume(c.paused());
        }
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

  /** Hands pending records to the pool in order while slots are free. */
  private void handOff() {
    while (!pending.isEmpty()) {
      ConsumerRecord<String, byte[]> record = pending.peekFirst();
      Optional<TaskDispatched> task = decode(record);
      if (task.isPresent() && config.executesFor(task.get().destinationSite())) {
        if (!slots.tryAcquire()) {
          return; // backpressure: the caller pauses the partitions
        }
        TaskDispatched t = task.get();
        try {
          pool.execute(
              () -> {
                try {
                  handle(t);
                } catch (RuntimeException e) {
                  log.error("task {} attempt {} failed unexpectedly", t.taskId(), t.attempt(), e);
                } finally {
                  slots.release();
                }
              });
        } catch (RejectedExecutionException e) {
          slots.release();
          return; // closing
        }
      } else {
        task.ifPresent(listener::otherSiteSkipped);
      }
      pending.pollFirst();
      toCommit.put(
          new TopicPartition(record.topic(), record.partition()),
          new OffsetAndMetadata(record.offset() + 1));
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
      return Optional.of(task);
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
      if (!pending.isEmpty()) {
        c.pause(partitions);
      }
    }

    private void drop(Collection<TopicPartition> partitions) {
      Set<TopicPartition> gone = new HashSet<>(partitions);
      pending.removeIf(r -> gone.contains(new TopicPartition(r.topic(), r.partition())));
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
    scheduler.shutdownNow();
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
