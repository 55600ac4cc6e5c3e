/**
 * The OS isolation level: {@link io.isolate.container.ContainerProvider} (found through {@code ServiceLoader}),
 * the policy ({@link io.isolate.container.SandboxPolicy}: spec to helper argv, a pure function) and the running
 * isolate (package-private: the isolate backend and one execution per run). See the module's README.
 */
package io.isolate.container;
