package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * One file of a task.
 *
 * @param source path relative to the source endpoint's root, '/'-separated
 * @param destination path relative to the destination endpoint's root
 * @param size bytes seen by the planner
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FileItem(String source, String destination, long size) {}
