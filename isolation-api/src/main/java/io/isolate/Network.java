package io.isolate;

/** What network an isolate sees. The default is {@link #NONE}. */
public enum Network {
  /** No network at all: a fresh network namespace without interfaces (or no socket capability). */
  NONE,
  /** A fresh network namespace with only the loopback interface up. */
  LOOPBACK,
  /** The host's network, shared. This is no network isolation at all; opt in knowingly. */
  HOST
}
