/**
 * The VM's state: its memory, its vCPU and the I/O bus that dispatches port exits to devices; {@code VmPool}
 * creates fresh VMs ahead of time and tears used ones down in the background.
 */
package io.isolate.vm.vstate;
