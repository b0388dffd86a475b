package org.cityvision.core.cache;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A map that keeps at most {@code capacity} entries, dropping the least recently used (read or
 * written) first: what a node remembers of the store to save a round trip, never what it must not
 * forget. Thread-safe (one lock; every operation is a hash lookup).
 */
public final class BoundedMap<K, V> {
  private final int capacity;
  private final Map<K, V> entries;

  public BoundedMap(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive, got " + capacity);
    }
    this.capacity = capacity;
    this.entries =
        new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
            return size() > BoundedMap.this.capacity;
          }
        };
  }

  /** The value, or null; counts as a use. */
  public synchronized V get(K key) {
    return entries.get(key);
  }

  public synchronized void put(K key, V value) {
    entries.put(key, value);
  }

  public synchronized void remove(K key) {
    entries.remove(key);
  }

  public synchronized int size() {
    return entries.size();
  }

  public int capacity() {
    return capacity;
  }
}
