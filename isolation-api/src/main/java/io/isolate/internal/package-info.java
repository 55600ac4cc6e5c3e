/**
 * Between the API and its runtime (the module {@code io.isolate.spi}): how {@link io.isolate.Isolates} reaches the
 * runtime, and what the runtime needs of the API's own types. Exported to the runtime's module alone; nothing here is
 * an API.
 */
package io.isolate.internal;
