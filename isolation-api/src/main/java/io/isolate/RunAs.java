package io.isolate;

/**
 * The user and group a workload runs as inside its isolate (OS level), as ids of the isolate's user namespace.
 *
 * @param uid the user id, 0 to 65535
 * @param gid the group id, 0 to 65535
 */
public record RunAs(int uid, int gid) {
  /** The highest id an isolate maps. */
  public static final int MAX_ID = 65535;

  public RunAs {
    if (uid < 0 || uid > MAX_ID || gid < 0 || gid > MAX_ID) {
      throw new InvalidSpecException("user " + uid + ":" + gid + " is outside 0.." + MAX_ID
          + ", the ids an isolate has");
    }
  }

  /** Whether this is root (uid 0). */
  public boolean isRoot() {
    return uid == 0;
  }

  @Override
  public String toString() {
    return uid + ":" + gid;
  }
}
