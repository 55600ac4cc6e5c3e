/**
 * The HARDWARE level: a micro-VM on KVM with a Linux personality. Exports its settings; the VMM packages are
 * exported only to the PARAVIRT level, which runs on them, and opened to JNA, which reads and writes the KVM
 * structures by reflection.
 */
module io.isolate.vm {
  requires io.isolate.spi;
  requires com.sun.jna;
  requires java.management;

  exports io.isolate.vm;
  exports io.isolate.vm.arch.x86_64 to io.isolate.pv;
  exports io.isolate.vm.elf to io.isolate.pv;
  exports io.isolate.vm.kvm to io.isolate.pv;
  exports io.isolate.vm.linux to io.isolate.pv;
  exports io.isolate.vm.vstate to io.isolate.pv;
  opens io.isolate.vm.kvm to com.sun.jna;
  opens io.isolate.vm.vstate to com.sun.jna;

  provides io.isolate.spi.IsolationProvider with io.isolate.vm.KvmIsolationProvider;
}
