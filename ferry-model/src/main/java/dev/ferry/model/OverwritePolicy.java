package dev.ferry.model;

/** What to do when the destination already holds a file of the same name. */
public enum OverwritePolicy {
  NEVER,
  IF_DIFFERENT,
  ALWAYS
}
