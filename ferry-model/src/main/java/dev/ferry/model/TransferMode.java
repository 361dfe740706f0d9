package dev.ferry.model;

/** {@code COPY} moves every listed file; {@code SYNC} only new or changed ones. */
public enum TransferMode {
  COPY,
  SYNC
}
