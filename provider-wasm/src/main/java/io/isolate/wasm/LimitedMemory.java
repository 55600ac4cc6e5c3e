package io.isolate.wasm;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;

/**
 * A guest's linear memory, capped at the isolate's memory limit, that remembers a refused {@code memory.grow}.
 *
 * <p>WebAssembly says a refused growth returns -1 to the guest and nothing else happens; the guest decides what
 * to do. A C program usually aborts (a trap) when malloc fails, which would look like an ordinary trap. Because
 * this memory remembers the refusal, a run that traps after one is reported as {@code MEMORY_LIMIT}, naming
 * the limit: see {@link Outcome}. Reads and writes go straight to Chicory's byte-array memory, a final class, so
 * the JIT inlines through this wrapper; it is the faster of Chicory's two (Lua 5.4's fib(30) on raw Chicory, JIT
 * warm: 0.52 s against 0.70 s with its ByteBuffer memory).
 */
// Memory still requires lock, waitOn and notify, which Chicory has deprecated for removal: delegated as they are.
@SuppressWarnings("removal")
final class LimitedMemory implements Memory {
  private final ByteArrayMemory delegate;
  private final int limitPages;
  private volatile String refusedGrowth;

  private LimitedMemory(ByteArrayMemory delegate, int limitPages) {
    this.delegate = delegate;
    this.limitPages = limitPages;
  }

  /**
   * Creates the memory a module declares, with its maximum lowered to {@code limitPages}.
   *
   * @throws MemoryLimitException when the declared minimum is above the limit: the module cannot even start
   */
  static LimitedMemory create(MemoryLimits declared, int limitPages) {
    if (declared.initialPages() > limitPages) {
      throw new MemoryLimitException("the module needs at least " + describePages(declared.initialPages())
          + " of linear memory; the memory limit is " + describePages(limitPages));
    }
    int maximum = Math.min(declared.maximumPages(), limitPages);
    MemoryLimits capped = new MemoryLimits(declared.initialPages(), maximum, declared.shared());
    return new LimitedMemory(new ByteArrayMemory(capped), limitPages);
  }

  static String describePages(long pages) {
    return pages + " pages (" + io.isolate.SizeUnit.format(pages * PAGE_SIZE) + ")";
  }

  /** Why the last refused growth was refused, or null when every growth succeeded. */
  String refusedGrowth() {
    return refusedGrowth;
  }

  /** The size of the memory now, which is also its peak: linear memory never shrinks. */
  long sizeBytes() {
    return (long) delegate.pages() * PAGE_SIZE;
  }

  @Override
  public int grow(int size) {
    int before = delegate.pages();
    int result = delegate.grow(size);
    if (result < 0 && size > 0) {
      refusedGrowth = "memory.grow by " + describePages(size) + " at " + describePages(before)
          + " was refused: the memory limit is " + describePages(limitPages);
    }
    return result;
  }

  @Override
  public int pages() {
    return delegate.pages();
  }

  @Override
  public int initialPages() {
    return delegate.initialPages();
  }

  @Override
  public int maximumPages() {
    return delegate.maximumPages();
  }

  @Override
  public boolean shared() {
    return delegate.shared();
  }

  @Override
  public Object lock(int address) {
    return delegate.lock(address);
  }

  @Override
  public int waitOn(int address, int expected, long timeout) {
    return delegate.waitOn(address, expected, timeout);
  }

  @Override
  public int waitOn(int address, long expected, long timeout) {
    return delegate.waitOn(address, expected, timeout);
  }

  @Override
  public int notify(int address, int maxThreads) {
    return delegate.notify(address, maxThreads);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments) {
    delegate.initialize(instance, dataSegments);
  }

  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
    delegate.initialize(instance, dataSegments, memoryIndex);
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    delegate.initPassiveSegment(segmentId, dest, offset, size);
  }

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    delegate.write(addr, data, offset, size);
  }

  @Override
  public byte read(int addr) {
    return delegate.read(addr);
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    return delegate.readBytes(addr, len);
  }

  @Override
  public void writeI32(int addr, int data) {
    delegate.writeI32(addr, data);
  }

  @Override
  public int readInt(int addr) {
    return delegate.readInt(addr);
  }

  @Override
  public void writeLong(int addr, long data) {
    delegate.writeLong(addr, data);
  }

  @Override
  public long readLong(int addr) {
    return delegate.readLong(addr);
  }

  @Override
  public void writeShort(int addr, short data) {
    delegate.writeShort(addr, data);
  }

  @Override
  public short readShort(int addr) {
    return delegate.readShort(addr);
  }

  @Override
  public long readU16(int addr) {
    return delegate.readU16(addr);
  }

  @Override
  public void writeByte(int addr, byte data) {
    delegate.writeByte(addr, data);
  }

  @Override
  public void writeF32(int addr, float data) {
    delegate.writeF32(addr, data);
  }

  @Override
  public long readF32(int addr) {
    return delegate.readF32(addr);
  }

  @Override
  public float readFloat(int addr) {
    return delegate.readFloat(addr);
  }

  @Override
  public void writeF64(int addr, double data) {
    delegate.writeF64(addr, data);
  }

  @Override
  public double readDouble(int addr) {
    return delegate.readDouble(addr);
  }

  @Override
  public long readF64(int addr) {
    return delegate.readF64(addr);
  }

  @Override
  public void zero() {
    delegate.zero();
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    delegate.fill(value, fromIndex, toIndex);
  }

  @Override
  public void copy(int dest, int src, int size) {
    delegate.copy(dest, src, size);
  }

  @Override
  public void drop(int segment) {
    delegate.drop(segment);
  }

  /** The module's declared minimum memory is above the limit. */
  static final class MemoryLimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MemoryLimitException(String message) {
      super(message, null, false, false);
    }
  }
}
