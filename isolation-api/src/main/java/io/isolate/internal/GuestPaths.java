package io.isolate.internal;

import io.isolate.InvalidSpecException;

/** Validation of paths inside an isolate, shared by mounts, working directory and root file systems. */
public final class GuestPaths {
  private GuestPaths() {}

  /**
   * Checks that {@code path} is absolute, normalized (no {@code .}, {@code ..} or empty segments) and free of NUL.
   *
   * @param what names the parameter in the message
   */
  public static String check(String what, String path) {
    if (path == null) {
      throw new InvalidSpecException(what + " is null");
    }
    if (!path.startsWith("/")) {
      throw new InvalidSpecException(what + " '" + path + "' must be an absolute path inside the isolate");
    }
    if (path.indexOf('\0') >= 0) {
      throw new InvalidSpecException(what + " '" + path.replace('\0', '?') + "' contains NUL");
    }
    if (path.equals("/")) {
      return path;
    }
    String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    for (String segment : trimmed.substring(1).split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new InvalidSpecException(
            what + " '" + path + "' must be normalized: no empty, '.' or '..' segments");
      }
    }
    return trimmed;
  }
}
