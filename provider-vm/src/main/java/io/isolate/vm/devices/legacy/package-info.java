/**
 * Legacy port-I/O devices for guests that run with I/O privilege (the VMM's own supervisor code, raw test
 * guests): a debug console and an exit port. Programs in user mode cannot reach them.
 */
package io.isolate.vm.devices.legacy;
