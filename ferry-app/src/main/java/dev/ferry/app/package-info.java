/** Ferry app. */
package dev.ferry.app;
