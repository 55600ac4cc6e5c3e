/**
 * The runtime behind {@link io.isolate.Isolates}: provider discovery and probing, the checks of a spec against its
 * level, and the one {@link io.isolate.Isolate} implementation. Not exported.
 */
package io.isolate.runtime;
