/** The PARAVIRT level: cooperating guests, virtio and hypercalls, on the HARDWARE level's VMM. */
module io.isolate.pv {
  requires io.isolate.spi;
  requires io.isolate.vm;
  requires com.sun.jna;
  requires java.management;

  exports io.isolate.pv;
  opens io.isolate.pv.vmm to com.sun.jna;

  provides io.isolate.spi.IsolationProvider with io.isolate.pv.PvIsolationProvider;
}
