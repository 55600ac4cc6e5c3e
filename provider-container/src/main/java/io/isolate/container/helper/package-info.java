/**
 * The native helper: its argument syntax ({@link io.isolate.container.helper.HelperCommand}), its extraction from
 * the jar ({@link io.isolate.container.helper.HelperBinary}), how it is started
 * ({@link io.isolate.container.helper.HelperLauncher}) and what it reports
 * ({@link io.isolate.container.helper.HelperStatus}). The C source is {@code src/main/c/isolate-helper.c}.
 */
package io.isolate.container.helper;
