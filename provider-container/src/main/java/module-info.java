/** The OS level: namespaces, cgroups, seccomp and OCI images. Exports only its settings and provider. */
module io.isolate.container {
  requires io.isolate.spi;
  requires org.apache.commons.compress;
  requires com.github.luben.zstd_jni;
  requires com.fasterxml.jackson.databind;
  requires java.net.http;
  requires com.github.benmanes.caffeine;

  exports io.isolate.container;

  provides io.isolate.spi.IsolationProvider with io.isolate.container.ContainerProvider;
}
