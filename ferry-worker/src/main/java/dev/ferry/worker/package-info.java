/**
 * The transfer worker: consumes {@code task.dispatched} events from Kafka, claims each task from
 * the control plane over signed HTTP callbacks, copies its files between storage endpoints with
 * end-to-end checksums and atomic publish, heartbeats while it works and reports the outcome.
 *
 * <p>Plain Java: no Spring, no control-plane code. Entry points: {@link dev.ferry.worker.Worker}
 * (configured by {@link dev.ferry.worker.WorkerConfig}), {@link
 * dev.ferry.worker.ControlPlaneClient} and {@link dev.ferry.worker.FileCopier}.
 */
package dev.ferry.worker;
