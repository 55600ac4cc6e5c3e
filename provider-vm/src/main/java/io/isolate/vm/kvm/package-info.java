/**
 * Thin, typed JNA bindings: one class per header ({@code Kvm} for {@code linux/kvm.h}, {@code LibC} for the libc
 * calls), structures with {@code @FieldOrder} and the C field names, ioctl numbers computed as the kernel's
 * macros do, and {@link io.isolate.vm.kvm.KvmException}s that name the call, its arguments and the errno.
 */
package io.isolate.vm.kvm;
