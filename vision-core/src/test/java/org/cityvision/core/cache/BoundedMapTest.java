package org.cityvision.core.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BoundedMapTest {
  @Test
  void keepsTheMostRecentlyUsedEntriesUpToItsCapacity() {
    BoundedMap<String, Integer> map = new BoundedMap<>(2);
    map.put("a", 1);
    map.put("b", 2);
    assertEquals(1, map.get("a"), "a read counts as a use");
    map.put("c", 3);
    assertNull(map.get("b"), "the least recently used goes first");
    assertEquals(1, map.get("a"));
    assertEquals(3, map.get("c"));
    assertEquals(2, map.size());
    map.remove("a");
    assertNull(map.get("a"));
    assertEquals(1, map.size());
  }

  @Test
  void refusesANonPositiveCapacity() {
    assertThrows(IllegalArgumentException.class, () -> new BoundedMap<String, String>(0));
  }
}
