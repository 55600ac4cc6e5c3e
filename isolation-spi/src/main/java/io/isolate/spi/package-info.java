/**
 * The service provider interface: how a module implements an isolation level.
 *
 * <p>A provider module implements {@link io.isolate.spi.IsolationProvider} and lists it in
 * {@code META-INF/services/io.isolate.spi.IsolationProvider}. {@link io.isolate.Isolates} finds providers with
 * {@link java.util.ServiceLoader}, probes each once, and wraps what {@link
 * io.isolate.spi.IsolationProvider#create} returns so that lifecycle events, idempotent close and state checks
 * behave the same at every level. Each run of every level is kept by a {@link io.isolate.spi.RunSupervisor}: the
 * deadline and CPU-time budget (on the one {@link io.isolate.spi.Watchdog} thread), the output budget
 * ({@link io.isolate.spi.OutputSink}), the stop reason, stdin, kill and the result; a provider says only how to stop
 * and measure its guest.
 */
package io.isolate.spi;
