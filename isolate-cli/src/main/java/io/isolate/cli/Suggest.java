package io.isolate.cli;

import java.util.Collection;

/** "Did you mean": the known word nearest to a mistyped one, when it is near enough to be the likely intent. */
final class Suggest {
  private Suggest() {}

  /** {@code " (did you mean X?)"} for the nearest of {@code known}, or an empty string when none is close. */
  static String didYouMean(String given, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(given, k);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    // one edit per three letters, at most three: "--timout" finds --timeout, "--bogus" finds nothing
    int allowed = Math.min(3, Math.max(1, given.replace("-", "").length() / 3));
    return best != null && bestDistance <= allowed ? " (did you mean " + best + "?)" : "";
  }

  /** The Levenshtein distance, on strings of at most a few hundred characters (longer ones are never near). */
  static int distance(String a, String b) {
    if (a.length() > 256 || b.length() > 256) {
      return Integer.MAX_VALUE;
    }
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
