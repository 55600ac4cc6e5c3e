/**
 * The service provider interface: how a module implements an isolation level.
 *
 * <p>A provider module implements {@link io.isolate.spi.IsolationProvider} and lists it in
 * {@code META-INF/services/io.isolate.spi.IsolationProvider}. {@link io.isolate.Isolates} finds providers with
 * {@link java.util.ServiceLoader}, probes each once, and wraps what {@link
 * io.isolate.spi.IsolationProvider#create} returns so that lifecycle events, idempotent close and state checks
 * behave the same at every level. {@link io.isolate.spi.OutputSink} is the one implementation of stdout and
 * stderr capping that every provider shares.
 */
package io.isolate.spi;
