/**
 * The {@link io.isolate.IsolationLevel#PROCESS} level: WebAssembly on Chicory, inside this JVM.
 *
 * <p>{@link io.isolate.wasm.WasmProvider} is the only public type; it is found by {@link java.util.ServiceLoader}
 * when this module is on the class path. Everything else is package-private:
 * <ul>
 *   <li>{@code ModuleCache}, {@code LoadedModule}: parse and compile once per SHA-256, interpreter fallback;
 *   <li>{@code WasmBackend}: one isolate; {@code WasmRun}: one {@code _start} run on a guest thread;
 *       {@code LiveInstance}: the instance behind {@code Isolate.call};
 *   <li>{@code Guest}: instantiation (WASI, host functions, capped memory); {@code Imports}: link check;
 *   <li>{@code GuestFileSystem}, {@code WasiImports}, {@code GuestDescriptors}: preopens (live host directories
 *       through {@code io.isolate.wasm.files}, in-memory files and tmpfs), read-only enforcement; {@code WasiFileCalls}: the file calls answered here instead of by Chicory;
 *   <li>{@code LimitedMemory}, {@code SinkStream}, {@code GuestPipe}: memory and stdio (the SPI's run supervisor keeps
 *       the other limits);
 *   <li>{@code Outcome}: how a guest ended, decided in one place.
 * </ul>
 */
package io.isolate.wasm;
