/** Static x86-64 ELF executables: parsing and validation before anything is loaded. */
package io.isolate.vm.elf;
