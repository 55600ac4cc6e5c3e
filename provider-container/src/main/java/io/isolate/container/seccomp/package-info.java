/**
 * The seccomp policy: {@link io.isolate.container.seccomp.SeccompProfile} (the default deny list plus the spec's
 * additions) compiled to classic BPF in Java; the helper only installs the program.
 */
package io.isolate.container.seccomp;
