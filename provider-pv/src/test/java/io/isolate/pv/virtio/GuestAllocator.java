package io.isolate.pv.virtio;

/** Test fixture: a bump allocator handing out guest-physical ranges of a test memory. */
public final class GuestAllocator {
  private final long limit;
  private long next;

  public GuestAllocator(long start, long limit) {
    this.next = start;
    this.limit = limit;
  }

  public long alloc(long length, int alignment) {
    long at = (next + alignment - 1) & -(long) alignment;
    if (at + length > limit) {
      throw new IllegalStateException("test guest memory exhausted");
    }
    next = at + length;
    return at;
  }

  /** The current position, for {@link #release}. */
  public long mark() {
    return next;
  }

  /** Frees everything allocated since {@code mark}. */
  public void release(long mark) {
    next = mark;
  }
}
