/** The VM's state: its memory, its vCPU and the I/O bus that dispatches port exits to devices. */
package io.isolate.vm.vstate;
