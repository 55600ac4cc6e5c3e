/**
 * The Linux personality: a process in a VM ({@link io.isolate.vm.linux.LinuxProcess}), its address space, file
 * descriptors and the system calls, with every guest pointer checked in one place ({@code UserMemory}) and paths
 * resolved only inside granted mounts ({@code Vfs}).
 */
package io.isolate.vm.linux;
