/** Ferry telemetry. */
package dev.ferry.telemetry;
