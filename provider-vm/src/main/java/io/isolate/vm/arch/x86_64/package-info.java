/**
 * x86-64 specifics: the guest's minimal supervisor (descriptor tables, stubs), page tables and the initial CPU
 * state. The layout is described in {@link io.isolate.vm}.
 */
package io.isolate.vm.arch.x86_64;
